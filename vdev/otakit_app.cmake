# otakit_add_app(NAME SOURCES src... [PLATFORM gcc] [DEVICE_OS 6.3.2] [VERSION 1])
#
# Builds NAME.so, a native application for the otakit virtual device
# (setup()/loop() against <otakit/app.h>), and wraps it with
# `otakit-vdev build-app` into NAME.bin, a user part module for PLATFORM
# that depends on system part 1 of DEVICE_OS.  Install it with
# `otakit-vdev install DIR NAME.bin`.
#
# Inside the otakit tree the otakit-vdev target is used; elsewhere set
# OTAKIT_VDEV to the program and OTAKIT_APP_INCLUDE to vdev/include.
get_filename_component(_otakit_app_dir ${CMAKE_CURRENT_LIST_DIR} ABSOLUTE)

function(otakit_add_app name)
  cmake_parse_arguments(A "" "PLATFORM;DEVICE_OS;VERSION" "SOURCES" ${ARGN})
  if(NOT A_SOURCES)
    message(FATAL_ERROR "otakit_add_app(${name}): SOURCES is required")
  endif()
  if(NOT A_PLATFORM)
    set(A_PLATFORM gcc)
  endif()
  if(NOT A_VERSION)
    set(A_VERSION 1)
  endif()
  set(dos_args)
  if(A_DEVICE_OS)
    set(dos_args --device-os ${A_DEVICE_OS})
  endif()

  add_library(${name} MODULE ${A_SOURCES})
  set_target_properties(${name} PROPERTIES PREFIX "" SUFFIX ".so"
                        C_VISIBILITY_PRESET default POSITION_INDEPENDENT_CODE ON)
  if(TARGET otakit_app_api)
    target_link_libraries(${name} PRIVATE otakit_app_api)
  elseif(OTAKIT_APP_INCLUDE)
    target_include_directories(${name} PRIVATE ${OTAKIT_APP_INCLUDE})
  else()
    target_include_directories(${name} PRIVATE ${_otakit_app_dir}/include)
  endif()

  if(TARGET otakit-vdev)
    set(vdev $<TARGET_FILE:otakit-vdev>)
    set(vdev_dep otakit-vdev)
  elseif(OTAKIT_VDEV)
    set(vdev ${OTAKIT_VDEV})
    set(vdev_dep)
  else()
    find_program(vdev otakit-vdev REQUIRED)
    set(vdev_dep)
  endif()
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${name}.bin)
  add_custom_command(OUTPUT ${out}
    COMMAND ${vdev} build-app $<TARGET_FILE:${name}> -o ${out} --force
            --platform ${A_PLATFORM} --version ${A_VERSION} ${dos_args}
    DEPENDS ${name} ${vdev_dep}
    COMMENT "otakit-vdev build-app ${name}.bin (${A_PLATFORM})"
    VERBATIM)
  add_custom_target(${name}_module ALL DEPENDS ${out})
endfunction()
