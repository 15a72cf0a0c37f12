# SPDX-License-Identifier: GPL-2.0-only
# probes/NAME.bpf.c -> NAME.bpf.o (clang -target bpf, CO-RE, BTF) -> gen/NAME.skel.h.
# The BPF side is built against probes/kernel.h (hand-kept CO-RE types), never against the
# build machine's kernel, so the same object relocates on every kernel at load time.
set(IOTRACE_BPF_OUT ${CMAKE_BINARY_DIR}/gen)
# BPF_KPROBE reads arguments from the target's registers (bpf_tracing.h): the object must be
# built for the architecture the executable runs on, not the build machine's.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(IOTRACE_BPF_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
  set(IOTRACE_BPF_ARCH arm64)
else()
  message(FATAL_ERROR "no BPF target arch for CMAKE_SYSTEM_PROCESSOR=${CMAKE_SYSTEM_PROCESSOR}: "
                      "iotrace supports x86_64 and aarch64 (probes/kernel.h has their pt_regs)")
endif()
file(MAKE_DIRECTORY ${IOTRACE_BPF_OUT})
file(GLOB IOTRACE_BPF_HEADERS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/probes/*.h)
add_custom_target(iotrace_skeletons)
set(IOTRACE_BPF_INCLUDES -I${CMAKE_SOURCE_DIR}/probes)
foreach(dir ${LIBBPF_INCLUDE_DIRS})
  list(APPEND IOTRACE_BPF_INCLUDES -I${dir})
endforeach()

function(iotrace_bpf_skeleton name)
  set(src ${CMAKE_SOURCE_DIR}/probes/${name}.bpf.c)
  set(obj ${IOTRACE_BPF_OUT}/${name}.bpf.o)
  set(skel ${IOTRACE_BPF_OUT}/${name}.skel.h)
  add_custom_command(OUTPUT ${obj}
    COMMAND ${CLANG_BPF} -g -O2 -target bpf -D__TARGET_ARCH_${IOTRACE_BPF_ARCH} -mcpu=v3
            -Wall -Werror -Wno-unused-function
            ${IOTRACE_BPF_INCLUDES}
            -idirafter /usr/include/${CMAKE_LIBRARY_ARCHITECTURE} -idirafter /usr/include
            -c ${src} -o ${obj}.tmp
    # Keep BTF (needed for CO-RE), drop DWARF: the object is embedded in the executable.
    COMMAND ${LLVM_STRIP} -g ${obj}.tmp -o ${obj}
    DEPENDS ${src} ${IOTRACE_BPF_HEADERS}
    COMMENT "BPF ${name}.bpf.c"
    VERBATIM)
  add_custom_command(OUTPUT ${skel}
    COMMAND ${BPFTOOL} gen skeleton ${obj} name ${name}_bpf > ${skel}.tmp
    COMMAND ${CMAKE_COMMAND} -E rename ${skel}.tmp ${skel}
    DEPENDS ${obj}
    COMMENT "skeleton ${name}.skel.h"
    VERBATIM)
  add_custom_target(${name}_skel DEPENDS ${skel})
  add_dependencies(iotrace_skeletons ${name}_skel)
endfunction()
