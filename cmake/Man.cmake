# SPDX-License-Identifier: MIT
# Man pages: docs/man/*.scd rendered with scdoc(1) into ${PROJECT_BINARY_DIR}/man, installed
# with the client (phantom.1) and admin (phantom-admin.8) components. Without scdoc, no pages.
#
# The same file is the render step: `cmake -DSCDOC=… -DMAN_INPUT=… -DMAN_OUTPUT=… -P Man.cmake`
# runs scdoc with the page on stdin (scdoc takes no file arguments), writes to a temporary
# file and renames it, so a failed render leaves no truncated page that looks up to date.
if(CMAKE_SCRIPT_MODE_FILE)
  execute_process(
    COMMAND "${SCDOC}"
    INPUT_FILE "${MAN_INPUT}"
    OUTPUT_FILE "${MAN_OUTPUT}.tmp"
    ERROR_VARIABLE _man_error
    RESULT_VARIABLE _man_result)
  if(NOT _man_result EQUAL 0)
    file(REMOVE "${MAN_OUTPUT}.tmp")
    string(STRIP "${_man_error}" _man_error)
    message(FATAL_ERROR "scdoc could not render ${MAN_INPUT}: ${_man_error}")
  endif()
  file(RENAME "${MAN_OUTPUT}.tmp" "${MAN_OUTPUT}")
  return()
endif()

find_program(SCDOC scdoc)
if(NOT SCDOC)
  message(STATUS "scdoc not found: man pages are not built")
  return()
endif()

include(GNUInstallDirs)

set(_phantom_man_script "${CMAKE_CURRENT_LIST_FILE}")
set(_phantom_man_outputs)
# page  section  install component
foreach(_page_spec "phantom;1;client" "phantom-admin;8;admin")
  list(GET _page_spec 0 _page)
  list(GET _page_spec 1 _section)
  list(GET _page_spec 2 _component)
  set(_input "${PROJECT_SOURCE_DIR}/docs/man/${_page}.${_section}.scd")
  set(_output "${PROJECT_BINARY_DIR}/man/${_page}.${_section}")
  add_custom_command(
    OUTPUT "${_output}"
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${PROJECT_BINARY_DIR}/man"
    COMMAND "${CMAKE_COMMAND}" "-DSCDOC=${SCDOC}" "-DMAN_INPUT=${_input}" "-DMAN_OUTPUT=${_output}"
            -P "${_phantom_man_script}"
    DEPENDS "${_input}" "${_phantom_man_script}"
    COMMENT "Rendering man page ${_page}(${_section})"
    VERBATIM)
  list(APPEND _phantom_man_outputs "${_output}")
  install(FILES "${_output}" DESTINATION "${CMAKE_INSTALL_MANDIR}/man${_section}" COMPONENT ${_component})
endforeach()

add_custom_target(man ALL DEPENDS ${_phantom_man_outputs})
