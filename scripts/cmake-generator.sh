# Sourced by the scripts that configure a build tree (test, bench, fuzz, ci-ab): Ninja for a new tree where it is
# installed (scripts/setup installs it). Ninja compiles a test source while the core's last unity batches still
# compile, where make starts a target only once everything it depends on is built. An existing tree keeps the
# generator it was configured with (CMake reads CMAKE_GENERATOR only for a new cache), and a CMAKE_GENERATOR
# already set wins.
if [ -z "${CMAKE_GENERATOR:-}" ] && command -v ninja >/dev/null 2>&1; then export CMAKE_GENERATOR=Ninja; fi
