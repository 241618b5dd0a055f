include(GoogleTest)

# dijk_test(NAME SOURCES... LIBS ...): a GoogleTest executable whose cases ctest lists one by one.
function(dijk_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE dijk_options ${T_LIBS} GTest::gtest GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    DIJK_SOURCE_DIR="${PROJECT_SOURCE_DIR}" DIJK_BINARY_DIR="${PROJECT_BINARY_DIR}")
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 TEST_LIST ${name}_TESTS)
  # The labels are set by a file ctest reads after the discovered tests: CMake 3.25 passes
  # gtest_discover_tests' PROPERTIES on unquoted, so "LABELS unit;check" arrived as LABELS unit plus a
  # property named check, and every test carried only its first label.
  if(T_LABELS)
    set(labels_file "${CMAKE_CURRENT_BINARY_DIR}/${name}_labels.cmake")
    file(WRITE "${labels_file}"
      "if(${name}_TESTS)\n  set_tests_properties(\${${name}_TESTS} PROPERTIES LABELS \"${T_LABELS}\")\nendif()\n")
    set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${labels_file}")
  endif()
endfunction()

# dijk_fuzz_target(NAME SOURCE LIBS ... CORPUS dir): one entry point, LLVMFuzzerTestOneInput, built two
# ways. With DIJK_FUZZ (clang) it is a libFuzzer binary; otherwise it links tests/fuzz/replay_main.cpp,
# which feeds it every seed file plus deterministic mutations of them, and runs under ctest so every
# build exercises every parser with hostile bytes.
function(dijk_fuzz_target name)
  cmake_parse_arguments(F "" "CORPUS" "SOURCES;LIBS" ${ARGN})
  if(DIJK_FUZZ)
    add_executable(${name} ${F_SOURCES})
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  else()
    add_executable(${name} ${F_SOURCES} ${PROJECT_SOURCE_DIR}/tests/fuzz/replay_main.cpp)
    add_test(NAME fuzz_replay.${name} COMMAND ${name} ${F_CORPUS})
    set_tests_properties(fuzz_replay.${name} PROPERTIES LABELS fuzz TIMEOUT 300)
  endif()
  target_link_libraries(${name} PRIVATE dijk_options ${F_LIBS})
  # One target that builds every fuzz binary and nothing else: tools/fuzz-run builds just this.
  if(NOT TARGET fuzz_targets)
    add_custom_target(fuzz_targets)
  endif()
  add_dependencies(fuzz_targets ${name})
  set_property(GLOBAL APPEND PROPERTY DIJK_FUZZ_TARGETS ${name})
  set_property(GLOBAL APPEND PROPERTY DIJK_FUZZ_CORPORA ${F_CORPUS})
endfunction()
