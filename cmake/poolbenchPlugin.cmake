# poolbench_add_plugin(<target> <source>...): builds a poolbench plugin (poolbench/plugin.hpp) as a MODULE
# library, lib<target>.so, that `poolbench run|list|conform --plugin` loads. Shared by the installed package
# (poolbenchConfig.cmake) and the repository's own test plugins.
#
# The plugin links nothing of poolbench: the SDK functions its headers declare (parameter parsing, per-worker
# state) stay undefined and are found in the poolbench binary that loads it. Everything else is hidden, so two
# plugins never see each other's symbols; only the entry point (POOLBENCH_PLUGIN) is exported.
function(poolbench_add_plugin target)
  if(ARGC LESS 2)
    message(FATAL_ERROR "poolbench_add_plugin(${target}): give at least one source file")
  endif()
  add_library(${target} MODULE ${ARGN})
  target_link_libraries(${target} PRIVATE poolbench::sdk)
  set_target_properties(${target} PROPERTIES CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON
                                             PREFIX "lib" SUFFIX ".so")
  # The SDK's symbols resolve at load time, in the host: allowed even where a toolchain defaults to -z defs.
  target_link_options(${target} PRIVATE "LINKER:-z,undefs")
endfunction()
