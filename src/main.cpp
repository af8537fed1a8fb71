#include "cli.hpp"

int main(int argc, char** argv) {
  return poolbench::run_cli(argc, argv);
}
