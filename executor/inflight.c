#include "inflight.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

struct inflight {
        pthread_mutex_t lock;
        pthread_cond_t work; /* a job was queued, or quit */
        pthread_cond_t done; /* a job finished */
        struct inflight_job *queued, **queued_tail;
        struct inflight_job *finished, **finished_tail;
        int busy;     /* submitted, not yet taken back */
        int waiting;  /* threads idle, waiting for a job */
        int nthreads; /* started */
        int max;
        int quit;
        pthread_t *threads;
};

struct inflight *
inflight_new(int max)
{
        struct inflight *f = calloc(1, sizeof(*f));
        if (f == NULL)
                return NULL;
        f->max = max < 1 ? 1 : max;
        if ((f->threads = calloc((size_t)f->max, sizeof(*f->threads))) == NULL) {
                free(f);
                return NULL;
        }
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_mutex_init(&f->lock, NULL);
        pthread_cond_init(&f->work, NULL);
        pthread_cond_init(&f->done, &ca);
        pthread_condattr_destroy(&ca);
        f->queued_tail = &f->queued;
        f->finished_tail = &f->finished;
        return f;
}

static void *
inflight_thread(void *arg)
{
        struct inflight *f = arg;
        pthread_mutex_lock(&f->lock);
        for (;;) {
                while (f->queued == NULL && !f->quit) {
                        f->waiting++;
                        pthread_cond_wait(&f->work, &f->lock);
                        f->waiting--;
                }
                if (f->queued == NULL)
                        break; /* quit, and nothing left to pay */
                struct inflight_job *job = f->queued;
                if ((f->queued = job->next) == NULL)
                        f->queued_tail = &f->queued;
                pthread_mutex_unlock(&f->lock);
                payout_pay(&job->call, &job->result);
                pthread_mutex_lock(&f->lock);
                job->next = NULL;
                *f->finished_tail = job;
                f->finished_tail = &job->next;
                pthread_cond_signal(&f->done);
        }
        pthread_mutex_unlock(&f->lock);
        return NULL;
}

/* Under the lock: one more thread, started with every signal blocked (it
 * inherits the mask), so SIGTERM and SIGHUP reach the pass's thread. */
static int
inflight_spawn(struct inflight *f)
{
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        int rc = pthread_create(&f->threads[f->nthreads], NULL, inflight_thread, f);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (rc != 0)
                return -1;
        f->nthreads++;
        return 0;
}

int
inflight_submit(struct inflight *f, struct inflight_job *job)
{
        pthread_mutex_lock(&f->lock);
        /* Each queued job needs an idle thread: start one when none is. */
        int idle = f->waiting;
        for (struct inflight_job *q = f->queued; q != NULL; q = q->next)
                idle--;
        if (idle <= 0 && f->nthreads < f->max && inflight_spawn(f) != 0 && f->nthreads == 0) {
                pthread_mutex_unlock(&f->lock);
                return -1;
        }
        outcome_result_init(&job->result);
        job->next = NULL;
        *f->queued_tail = job;
        f->queued_tail = &job->next;
        f->busy++;
        pthread_cond_signal(&f->work);
        pthread_mutex_unlock(&f->lock);
        return 0;
}

int
inflight_busy(const struct inflight *f)
{
        return f->busy; /* only the submitting thread changes it */
}

struct inflight_job *
inflight_wait(struct inflight *f, int timeout_ms)
{
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += timeout_ms / 1000;
        until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&f->lock);
        while (f->finished == NULL) {
                if (pthread_cond_timedwait(&f->done, &f->lock, &until) != 0)
                        break;
        }
        struct inflight_job *job = f->finished;
        if (job != NULL) {
                if ((f->finished = job->next) == NULL)
                        f->finished_tail = &f->finished;
                job->next = NULL;
                f->busy--;
        }
        pthread_mutex_unlock(&f->lock);
        return job;
}

void
inflight_free(struct inflight *f)
{
        if (f == NULL)
                return;
        pthread_mutex_lock(&f->lock);
        f->quit = 1;
        pthread_cond_broadcast(&f->work);
        pthread_mutex_unlock(&f->lock);
        for (int i = 0; i < f->nthreads; i++)
                pthread_join(f->threads[i], NULL);
        pthread_cond_destroy(&f->work);
        pthread_cond_destroy(&f->done);
        pthread_mutex_destroy(&f->lock);
        free(f->threads);
        free(f);
}
