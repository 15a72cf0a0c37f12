# SPDX-License-Identifier: GPL-2.0-only
# libFuzzer harnesses, one per parser of kernel or user text (tests/fuzz/run.sh configures,
# builds and runs them). Included by tests/fuzz/CMakeLists.txt, or (deferred) by tests/fuzz/inject.cmake
# at the end of the top-level CMakeLists.txt. Needs clang and its libFuzzer runtime (Debian:
# libclang-rt-dev). iotrace_core is compiled with -fsanitize=fuzzer-no-link,address,undefined
# so the fuzzer sees its coverage; every harness links -fsanitize=fuzzer,address,undefined.
# The executables go to <build>/fuzz/fuzz_<target>.
include_guard(GLOBAL)
set(IOTRACE_FUZZ_DIR ${CMAKE_CURRENT_LIST_DIR})
if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "IOTRACE_FUZZ needs clang: configure with -DCMAKE_C_COMPILER=clang")
endif()

include(CheckCSourceCompiles)
set(CMAKE_REQUIRED_FLAGS -fsanitize=fuzzer)
set(CMAKE_REQUIRED_LINK_OPTIONS -fsanitize=fuzzer)
check_c_source_compiles([[
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return 0; }
]] IOTRACE_HAVE_LIBFUZZER)
unset(CMAKE_REQUIRED_FLAGS)
unset(CMAKE_REQUIRED_LINK_OPTIONS)
if(NOT IOTRACE_HAVE_LIBFUZZER)
  message(FATAL_ERROR "clang cannot link -fsanitize=fuzzer: install libclang-rt-dev")
endif()

# UBSan findings must stop the fuzzer (and save the input), not just print.
set(IOTRACE_FUZZ_SANITIZERS -fsanitize=address,undefined -fno-sanitize-recover=all
    -fno-omit-frame-pointer)
target_compile_options(iotrace_core PRIVATE -fsanitize=fuzzer-no-link ${IOTRACE_FUZZ_SANITIZERS})
target_link_options(iotrace_core INTERFACE -fsanitize=address,undefined)

set(IOTRACE_FUZZ_TARGETS parse escape pattern kfacts blockdev options biosnoop_print)
set(IOTRACE_FUZZ_EXECUTABLES)
foreach(name ${IOTRACE_FUZZ_TARGETS})
  add_executable(fuzz_${name} ${IOTRACE_FUZZ_DIR}/fuzz_${name}.c)
  target_compile_options(fuzz_${name} PRIVATE -fsanitize=fuzzer ${IOTRACE_FUZZ_SANITIZERS})
  target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_include_directories(fuzz_${name} PRIVATE ${IOTRACE_FUZZ_DIR} ${IOTRACE_FUZZ_DIR}/../../tools)
  set_target_properties(fuzz_${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
  target_link_libraries(fuzz_${name} PRIVATE iotrace_core)
  list(APPEND IOTRACE_FUZZ_EXECUTABLES fuzz_${name})
endforeach()
add_custom_target(fuzz DEPENDS ${IOTRACE_FUZZ_EXECUTABLES})
