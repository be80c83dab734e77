/* tt_par: fork-join over a few threads. Jobs are short (tens to hundreds of
 * microseconds), so workers spin on a generation counter for a while before
 * sleeping on a condition variable: a sleeping wake-up costs more than most
 * jobs. A job has n parts that any thread may claim: when a worker is slow
 * to wake (a busy machine), the caller runs its part too instead of waiting.
 * Part p always does the same work (and writes its own outputs), so results
 * do not depend on which thread ran it. */
#include "tt_par.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#define SPIN_ITERS 2000

struct tt_pool {
    int n;
    pthread_t *th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_uint gen;         /* bumped for every job */
    atomic_int next;         /* next unclaimed part of the current job */
    atomic_int done;         /* parts finished */
    atomic_int quit;
    tt_par_fn fn;
    void *ctx;
};

typedef struct worker_arg {
    tt_pool *p;
    int tid;
} worker_arg;

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static void *worker(void *arg)
{
    worker_arg *wa = arg;
    tt_pool *p = wa->p;
    int tid = wa->tid;
    free(wa);
    /* Jobs may be posted before this thread first runs: start from the
     * generation the pool was created with, not the current one. */
    unsigned seen = 0;
    for (;;) {
        unsigned g;
        int spins = 0;
        while ((g = atomic_load_explicit(&p->gen, memory_order_acquire)) == seen &&
               !atomic_load(&p->quit)) {
            if (++spins < SPIN_ITERS) {
                cpu_relax();
                continue;
            }
            pthread_mutex_lock(&p->mu);
            while (atomic_load(&p->gen) == seen && !atomic_load(&p->quit))
                pthread_cond_wait(&p->cv, &p->mu);
            pthread_mutex_unlock(&p->mu);
        }
        if (atomic_load(&p->quit))
            return NULL;
        seen = g;
        (void)tid;
        int part;
        while ((part = atomic_fetch_add(&p->next, 1)) < p->n) {
            p->fn(p->ctx, part, p->n);
            atomic_fetch_add(&p->done, 1);
        }
    }
}

int tt_pool_create(tt_pool **out, int n, tt_err *err)
{
    *out = NULL;
    if (n <= 1)
        return 0;
    tt_pool *p = tt_alloc(1, sizeof *p, "thread pool", err);
    if (!p)
        return -1;
    p->n = n;
    p->th = tt_alloc((size_t)n, sizeof(pthread_t), "thread pool", err);
    if (!p->th) {
        free(p);
        return -1;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    atomic_init(&p->gen, 0);
    atomic_init(&p->done, 0);
    atomic_init(&p->next, 0);
    atomic_init(&p->quit, 0);
    for (int t = 1; t < n; t++) {
        worker_arg *wa = malloc(sizeof *wa);
        if (!wa || (wa->p = p, wa->tid = t, pthread_create(&p->th[t], NULL, worker, wa))) {
            free(wa);
            p->n = t;   /* join the ones started */
            tt_pool_free(p);
            return tt_err_set(err, "cannot start training thread %d", t);
        }
    }
    *out = p;
    return 0;
}

int tt_pool_size(const tt_pool *p) { return p ? p->n : 1; }

void tt_pool_run(tt_pool *p, tt_par_fn fn, void *ctx)
{
    if (!p) {
        fn(ctx, 0, 1);
        return;
    }
    p->fn = fn;
    p->ctx = ctx;
    atomic_store(&p->done, 0);
    atomic_store(&p->next, 0);   /* after fn/ctx: a claim sees this job's */
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add_explicit(&p->gen, 1, memory_order_release);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    int part;
    while ((part = atomic_fetch_add(&p->next, 1)) < p->n) {
        fn(ctx, part, p->n);
        atomic_fetch_add(&p->done, 1);
    }
    int spins = 0;
    while (atomic_load(&p->done) < p->n) {
        if (++spins < SPIN_ITERS)
            cpu_relax();
        else
            sched_yield();
    }
}

void tt_pool_free(tt_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->quit, 1);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int t = 1; t < p->n; t++)
        pthread_join(p->th[t], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->th);
    free(p);
}

static tt_pool *shared;

static void shared_free(void)
{
    tt_pool_free(shared);
    shared = NULL;
}

int tt_pool_shared(tt_pool **out, int n, tt_err *err)
{
    static int registered;
    *out = NULL;
    if (n <= 1)
        return 0;
    if (!shared || shared->n != n) {
        shared_free();
        if (tt_pool_create(&shared, n, err))
            return -1;
        if (!registered)
            registered = atexit(shared_free) == 0;
    }
    *out = shared;
    return 0;
}
