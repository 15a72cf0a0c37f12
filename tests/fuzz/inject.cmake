# SPDX-License-Identifier: GPL-2.0-only
# For tests/fuzz/run.sh: passed as -DCMAKE_PROJECT_INCLUDE=<this file>, CMake reads it right
# after project() in the top-level CMakeLists.txt; the deferred include then reads
# harnesses.cmake at the end of that file, once iotrace_core exists. So the fuzz build works
# whether or not the top-level file has "if(IOTRACE_FUZZ) add_subdirectory(tests/fuzz)
# endif()"; when it does, harnesses.cmake's include_guard(GLOBAL) makes this a no-op.
include_guard(GLOBAL)
# (a deferred call's arguments are expanded when it runs: keep the path in a variable)
set(IOTRACE_FUZZ_HARNESSES ${CMAKE_CURRENT_LIST_DIR}/harnesses.cmake)
cmake_language(DEFER CALL include ${IOTRACE_FUZZ_HARNESSES})
