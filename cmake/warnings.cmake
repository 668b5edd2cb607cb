# SPDX-License-Identifier: MIT
# Warnings, hardening and sanitizer flags shared by every phantom target.
add_library(phantom_flags INTERFACE)
target_compile_options(phantom_flags INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor)
if(PHANTOM_WERROR)
  target_compile_options(phantom_flags INTERFACE -Werror)
endif()

# phantom-admin runs as root: hardening is on by default (FORTIFY needs optimisation).
target_compile_options(phantom_flags INTERFACE -fstack-protector-strong
                       $<$<NOT:$<CONFIG:Debug>>:-D_FORTIFY_SOURCE=2>)
set(CMAKE_POSITION_INDEPENDENT_CODE ON)
target_link_options(phantom_flags INTERFACE -Wl,-z,relro,-z,now -pie)

if(PHANTOM_SANITIZE)
  # GCC 12 reports -Wmaybe-uninitialized false positives inside <regex> (via Catch2) once
  # ASan instruments the code; the sanitizers themselves catch real uninitialised reads.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(phantom_flags INTERFACE -Wno-maybe-uninitialized)
  endif()
  target_compile_options(phantom_flags INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                         -fno-sanitize-recover=undefined)
  target_link_options(phantom_flags INTERFACE -fsanitize=address,undefined)
endif()
