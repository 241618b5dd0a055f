# Warnings are errors in every target of ours; third-party headers are included as SYSTEM.
add_library(dijk_options INTERFACE)
target_compile_options(dijk_options INTERFACE
  -Wall -Wextra -Wpedantic -Werror -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wconversion -Wsign-conversion -Wformat=2
  -Wno-missing-field-initializers)
target_include_directories(dijk_options INTERFACE ${PROJECT_SOURCE_DIR})
if(DIJK_NATIVE)
  target_compile_options(dijk_options INTERFACE -march=native)
endif()
if(DIJK_SANITIZE)
  target_compile_options(dijk_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=undefined)
  target_link_options(dijk_options INTERFACE -fsanitize=address,undefined)
endif()
if(DIJK_FUZZ)
  # Instrument every library a fuzz target links, not only the target's own file, so coverage guides the
  # fuzzer through the parsers themselves.
  target_compile_options(dijk_options INTERFACE -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  target_link_options(dijk_options INTERFACE -fsanitize=address,undefined)
endif()
