/* sluicectl — the command-line client of sluiced. Everything lives in ctl.c (and is tested
 * there, called in-process); main only binds it to the process's standard streams. */
#include <stdio.h>

#include "cli/ctl.h"

int main(int argc, char *argv[])
{
    return ctl_main(argc, argv, stdin, stdout, stderr);
}
