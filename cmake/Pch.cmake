# Precompiled headers (cmake/pch/): most of a small source's compile time was parsing Qt's and the
# standard library's headers, and the test command builds the project three times within CI's
# 30-minute budget. A target whose precompiled header does not match its flags falls back to
# parsing the headers (slower, never wrong), so HS_PCH=OFF builds the same program.
option(HS_PCH "Precompile the common Qt and standard headers" ON)

# hs_pch(TARGET engine|ui): TARGET precompiles cmake/pch/KIND.h for its own sources.
function(hs_pch target kind)
  if(HS_PCH)
    target_precompile_headers(${target} PRIVATE ${PROJECT_SOURCE_DIR}/cmake/pch/${kind}.h)
  endif()
endfunction()

# hs_test_pch(TARGET engine|ui): a test reuses the precompiled header of one provider per kind,
# built once with the tests' flags (-O0, Qt Test), instead of each test precompiling its own.
function(hs_test_pch target kind)
  if(NOT HS_PCH)
    return()
  endif()
  set(provider hs_pch_tests_${kind})
  if(NOT TARGET ${provider})
    add_library(${provider} OBJECT ${PROJECT_SOURCE_DIR}/cmake/pch/empty.cpp)
    target_link_libraries(${provider} PRIVATE hs_engine hs_testcommon Qt6::Test)
    if(kind STREQUAL "ui")
      target_link_libraries(${provider} PRIVATE hs_ui QCustomPlotQt6::QCustomPlotQt6)
    endif()
    target_compile_options(${provider} PRIVATE -O0)
    target_precompile_headers(${provider} PRIVATE ${PROJECT_SOURCE_DIR}/cmake/pch/${kind}.h)
  endif()
  target_precompile_headers(${target} REUSE_FROM ${provider})
  # A test includes its own moc output ("tst_x.moc"): the AUTOMOC compilation unit is empty, and
  # loading the precompiled header into it cost more than the whole unit did without one.
  set_source_files_properties(${CMAKE_CURRENT_BINARY_DIR}/${target}_autogen/mocs_compilation.cpp
    TARGET_DIRECTORY ${target} PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
endfunction()
