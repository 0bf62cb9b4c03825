/* forkexec: WORKERS processes each run N vfork+execve of PROG and wait for it; prints execs per second.
 * Used by exec.sh to find the highest exec rate of the machine, with a tiny static PROG (tiny.c). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: forkexec N WORKERS PROG\n");
		return 2;
	}
	long n = atol(argv[1]), workers = atol(argv[2]);
	char *prog = argv[3];
	char *args[] = {prog, "forkexec-bench", NULL}, *env[] = {NULL};
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long w = 0; w < workers; w++) {
		if (fork() == 0) {
			for (long i = 0; i < n; i++) {
				pid_t pid = vfork();
				if (pid == 0) {
					execve(prog, args, env);
					_exit(127);
				}
				waitpid(pid, NULL, 0);
			}
			_exit(0);
		}
	}
	while (wait(NULL) > 0)
		;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%.0f\n", n * workers / s);
	return 0;
}
