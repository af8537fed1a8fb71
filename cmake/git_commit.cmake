# Run at build time (not configure time) by the poolbench_git_commit target: writes the commit the sources
# were built from into OUTPUT, "-dirty" when the working tree had uncommitted changes, so a result file never
# names the commit of an earlier configure. configure_file leaves OUTPUT untouched when nothing changed, so
# an unchanged commit rebuilds nothing.
execute_process(COMMAND git describe --always --dirty --abbrev=12
                WORKING_DIRECTORY ${SOURCE_DIR}
                OUTPUT_VARIABLE POOLBENCH_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE
                RESULT_VARIABLE status ERROR_QUIET)
if(NOT status EQUAL 0 OR NOT POOLBENCH_GIT_COMMIT)
  set(POOLBENCH_GIT_COMMIT "unknown")
endif()
configure_file(${SOURCE_DIR}/cmake/git_commit.cpp.in ${OUTPUT} @ONLY)
