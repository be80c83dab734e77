# mpi_model.awk: the expected efficiency of data-parallel training at N
# ranks, from what one machine measured (bench/bench_mpi.sh writes the
# inputs; README.md, "Beyond one machine", shows a table it printed).
#
# Input: one line per loss of key=value words (units in the names):
#   loss=NAME      the run's loss
#   c1_ms          CPU per step as one process (step_cpu_ms at 1 rank)
#   c2_ms          CPU per step per rank at 2 ranks (collectives excluded)
#   K_bytes K_calls  per step, for K in allgather reduce_scatter allreduce
#                  rows small: the bytes of the vector each collective
#                  combines (a gather's result, a sum's input: for a fixed
#                  global batch they do not depend on N) and its calls
#   table_bytes    the embedding tables (a dense exchange allreduces them)
#   exchange       the tables' exchange measured: sparse (both lines are
#                  modelled: the dense one allreduces the tables instead of
#                  the rows) or dense (only the dense line)
# Variables (awk -v): alpha10, alpha100 (latency per message round, seconds;
# default 25e-6 for 10 Gbit/s Ethernet over TCP and 2e-6 for 100 Gbit/s
# InfiniBand or RoCE: assumptions, one machine cannot measure a network),
# ranks ("8 32 128").
#
# The model. Compute: C_N = R + P / N, with P = 2 (c1 - c2) the part that
# divides over the ranks (the towers' rows, the split loss) and R = c1 - P
# the part every rank repeats (the batch's inputs, the optimiser over the
# whole model). Communication: the cost of the algorithms ttlab's
# collectives run on (Thakur, Rabenseifner and Gropp 2005), beta = 8 /
# bandwidth per byte, L = ceil(log2 N):
#   allgather (MPI_Allgatherv; Bruck / recursive doubling): L alpha + (N-1)/N n beta
#   reduce_scatter (MPI_Alltoallv, pairwise, then the rank-order sum):
#                                      (N-1) alpha + (N-1)/N n beta
#   allreduce (that reduce-scatter, then an allgather):
#                                      (N-1+L) alpha + 2 (N-1)/N n beta
#   rows (an allgather of counts, then MPI_Allgatherv of the (row, gradient)
#         pairs, once per table):      2 L alpha + (N-1)/N n beta
#   small (a few numbers):             L alpha
# T_N = C_N + the step's collectives; efficiency E_N = c1 / (N T_N)
# (strong scaling: the global batch fixed, as the equivalence tests hold it).
# Not modelled: overlap of communication and compute (ttlab does none), the
# rows exchange's growth with N (each rank deduplicates only its share of
# the batch; the figure uses the 2-rank volume, a lower bound), the sums'
# arithmetic, network contention, a library choosing a ring (N-1) alpha.
BEGIN {
    if (alpha10 == "") alpha10 = 25e-6
    if (alpha100 == "") alpha100 = 2e-6
    if (ranks == "") ranks = "8 32 128"
    nr = split(ranks, NS, " ")
    nk = split("allgather reduce_scatter allreduce rows small", KIND, " ")
    printf "model: T_N = R + P/N + collectives (alpha %.0f us at 10 Gbit/s, %.0f us at 100 Gbit/s: assumed)\n",
        alpha10 * 1e6, alpha100 * 1e6
}

function comm(N, bw, a, dense,   t, k, n, c, L, lat, f) {
    t = 0
    L = 0; while (2 ^ L < N) L++
    for (k = 1; k <= nk; k++) {
        n = V[KIND[k] "_bytes"] + 0; c = V[KIND[k] "_calls"] + 0
        # a sparse run's rows become the tables in the allreduce (same call)
        if (dense && V["exchange"] != "dense" && KIND[k] == "rows") continue
        if (dense && V["exchange"] != "dense" && KIND[k] == "allreduce") n += V["table_bytes"]
        f = 1
        if (KIND[k] == "allgather") lat = L
        else if (KIND[k] == "reduce_scatter") lat = N - 1
        else if (KIND[k] == "allreduce") { lat = N - 1 + L; f = 2 }
        else if (KIND[k] == "rows") lat = 2 * L
        else { lat = L; f = 0 }
        t += c * lat * a + f * (N - 1) / N * n * 8 / bw
    }
    return t
}

{
    delete V
    for (i = 1; i <= NF; i++) { split($i, kv, "="); V[kv[1]] = kv[2] }
    loss = V["loss"]; c1 = V["c1_ms"] / 1e3; c2 = V["c2_ms"] / 1e3
    p = 2 * (c1 - c2); if (p < 0) p = 0; if (p > c1) p = c1; r = c1 - p
    printf "\n%s: c1 %.2f ms/step, c2 %.2f ms/step -> P %.2f ms (divides), R %.2f ms (repeated); per step:",
        loss, c1 * 1e3, c2 * 1e3, p * 1e3, r * 1e3
    for (k = 1; k <= nk; k++)
        printf " %s %.3f MiB x%.1f", KIND[k], V[KIND[k] "_bytes"] / 1048576, V[KIND[k] "_calls"]
    printf "; tables %.1f MiB (%s exchange measured)\n", V["table_bytes"] / 1048576, V["exchange"]
    printf "  %-22s", "ranks:"
    for (i = 1; i <= nr; i++) printf " %22d", NS[i]
    printf "\n"
    for (bi = 1; bi <= 2; bi++) for (dense = 0; dense <= 1; dense++) {
        if (!dense && V["exchange"] == "dense") {   # no rows measured: no sparse line
            for (i = 1; i <= nr; i++) T[loss, bi, 0, NS[i]] = 1e30
            continue
        }
        bw = bi == 1 ? 10e9 : 100e9; a = bi == 1 ? alpha10 : alpha100
        printf "  %3d Gbit/s, %-6s tables", bi == 1 ? 10 : 100, dense ? "dense" : "sparse"
        for (i = 1; i <= nr; i++) {
            N = NS[i]; tc = comm(N, bw, a, dense); tn = r + p / N + tc
            printf "  %5.1f%% (%6.2f ms, %2.0f%% comm)", 100 * c1 / (N * tn), tn * 1e3, 100 * tc / tn
            T[loss, bi, dense, N] = tn; TC[loss, bi, dense, N] = tc; TP[loss, N] = r + p / N
            TP[loss, 1] = c1
        }
        printf "\n"
    }
    L[++nl] = loss
}

END {
    # When to change the set-up, read off the model (not a claim about quality).
    print ""
    for (j = 1; j <= nl; j++) {
        l = L[j]
        line = ""
        for (i = 1; i <= nr; i++)
            line = line sprintf(" %d ranks %.0f%%", NS[i], 100 * TP[l, 1] / (NS[i] * TP[l, NS[i]]))
        printf "%s: the repeated part R caps the efficiency with a free network at%s: the inputs of the whole batch and the optimiser over the whole model, done by every rank\n", l, line
        for (bi = 1; bi <= 2; bi++) for (i = 1; i <= nr; i++) {
            N = NS[i]
            best = T[l, bi, 0, N] < T[l, bi, 1, N] ? 0 : 1
            if (TC[l, bi, best, N] > TP[l, N]) {
                printf "%s, %d Gbit/s: from %d ranks the communication (%.2f ms, %s tables) outweighs the compute per rank (%.2f ms): shard the tables by row (each rank owns 1/N of the rows, lookups and gradients go to the owner) or raise the batch\n",
                    l, bi == 1 ? 10 : 100, N, TC[l, bi, best, N] * 1e3, best ? "dense" : "sparse", TP[l, N] * 1e3
                break
            }
        }
    }
    for (j = 1; j <= nl; j++) if (L[j] == "inbatch") for (k = 1; k <= nl; k++) if (L[k] == "sampled")
        for (bi = 1; bi <= 2; bi++) {
            line = ""
            for (i = 1; i <= nr; i++) {
                N = NS[i]
                ti = T["inbatch", bi, 0, N] < T["inbatch", bi, 1, N] ? T["inbatch", bi, 0, N] : T["inbatch", bi, 1, N]
                ts = T["sampled", bi, 0, N] < T["sampled", bi, 1, N] ? T["sampled", bi, 0, N] : T["sampled", bi, 1, N]
                line = line sprintf(" %d ranks %.2f/%.2f", N, ti * 1e3, ts * 1e3)
            }
            printf "in-batch/sampled ms per step at %d Gbit/s:%s (sampled scores B x neg, in-batch B x B: switch when the first figure is well above the second and the recall allows)\n",
                bi == 1 ? 10 : 100, line
        }
}
