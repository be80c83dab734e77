/* tt_layers: forward/backward pairs of the two-tower building blocks.
 * Conventions (llm.c): buffers are row-major with a shape comment; backward
 * functions ACCUMULATE (+=) into every gradient they write (dinp and dparams),
 * the caller zeroes; no function allocates: scratch is passed in. */
#ifndef TT_LAYERS_H
#define TT_LAYERS_H

#include <stdint.h>

/* ---- Embeddings of one field into a (B, f, k) block (row stride ldo) ---- */
/* single id: out[b] = T[ids[b]]                        T: (card, k) */
void tt_embed_forward(float *out, int ldo, const float *T, int k,
                      const int32_t *ids, int B);
void tt_embed_backward(float *dT, const float *dout, int ldo, int k,
                       const int32_t *ids, int B);
/* bag (set or sequence): out[b] = mean of T[vals[off[b] .. off[b+1])], zeros
 * for an empty bag (padding is simply not in the bag). */
void tt_embed_bag_forward(float *out, int ldo, const float *T, int k,
                          const int64_t *off, const int32_t *vals, int B);
void tt_embed_bag_backward(float *dT, const float *dout, int ldo, int k,
                           const int64_t *off, const int32_t *vals, int B);

/* ---- Dense: out (B, O) = inp (B, I) W^T + b;  W: (O, I), b: (O) ---- */
void tt_dense_forward(float *out, const float *inp, const float *W,
                      const float *b, int B, int I, int O);
/* dinp may be NULL (first layer over embeddings still needs it; NULL skips) */
void tt_dense_backward(float *dinp, float *dW, float *db, const float *dout,
                       const float *inp, const float *W, int B, int I, int O);

/* ---- ReLU, in place allowed for forward; backward uses the output ---- */
void tt_relu_forward(float *out, const float *inp, long n);
void tt_relu_backward(float *dinp, const float *dout, const float *out, long n);

/* ---- L2 normalisation of rows: out (B, D) = x / max(||x||, eps);
 * norm (B) is kept for backward. ---- */
void tt_l2norm_forward(float *out, float *norm, const float *inp, int B, int D);
void tt_l2norm_backward(float *dinp, const float *dout, const float *out,
                        const float *norm, int B, int D);

/* ---- SENet over field embeddings E (B, f, k) ----
 * squeeze: z = per-field mean (S = f), max (S = f), or mean and max (S = 2f);
 *   grouped (bit-wise) variant: each field's k dims split in G groups, one
 *   mean per group (S = f*G), and one weight per embedding element (A = f*k).
 * excitation: hid = relu(W1 z + b1)  W1: (h, S), h = max(1, f / r)
 *             a = gate(W2 hid + b2)  W2: (A, h), A = f (field-wise) or f*k
 *             gate: sigmoid (SE, default) or relu (FiBiNET)
 * re-weight:  out[b, i, :] = a[b, i] * E[b, i, :]   (or element-wise) */
enum tt_squeeze { TT_SQ_MEAN = 0, TT_SQ_MAX = 1, TT_SQ_MEANMAX = 2 };
enum tt_gate { TT_GATE_SIGMOID = 0, TT_GATE_RELU = 1 };
typedef struct tt_senet_cfg {
    int f, k;            /* fields, embedding dim */
    int h;               /* hidden width = max(1, f / r) */
    enum tt_squeeze squeeze;
    enum tt_gate gate;
    int groups;          /* 0 = field-wise; G >= 1 = bit-wise, k % G == 0,
                            squeeze is then the group mean */
} tt_senet_cfg;
int tt_senet_squeeze_width(const tt_senet_cfg *c);   /* S */
int tt_senet_weight_width(const tt_senet_cfg *c);    /* A */
/* z (B, S), hid (B, h), pre (B, A) gate input, a (B, A) are kept for
 * backward; a is also what `weights` reads out. */
void tt_senet_forward(float *out, float *z, float *hid, float *pre, float *a,
                      const float *E, const float *W1, const float *b1,
                      const float *W2, const float *b2, const tt_senet_cfg *c,
                      int B);
/* scratch: at least B * (S + h + A) floats */
void tt_senet_backward(float *dE, float *dW1, float *db1, float *dW2,
                       float *db2, const float *dout, const float *E,
                       const float *z, const float *hid, const float *pre,
                       const float *a, const float *W1, const float *W2,
                       const tt_senet_cfg *c, int B, float *scratch);

/* ---- Light-SE (IntTower) over field embeddings E (B, f, k) ----
 * squeeze:   z = per-field mean                           z: (B, f)
 * weights:   a = softmax_over_fields(W z)   W: (f, f), no bias;  a: (B, f)
 * re-weight: out[b, i, :] = (1 + a[b, i]) E[b, i, :]   (residual, as the
 *            paper's code returns inputs + inputs * a)
 * z and a are kept for backward; a is what `weights` reads out. */
void tt_lightse_forward(float *out, float *z, float *a, const float *E,
                        const float *W, int B, int f, int k);
/* scratch: at least B * 2 * f floats (one slice per row, so row ranges of a
 * batch can run on separate threads). */
void tt_lightse_backward(float *dE, float *dW, const float *dout,
                         const float *E, const float *z, const float *a,
                         const float *W, int B, int f, int k, float *scratch);

/* ---- FM in vector form over E (B, f, k): out (B, k) =
 *      0.5 * ((sum_i e_i)^2 - sum_i e_i^2) element-wise ---- */
void tt_fm_forward(float *out, const float *E, int B, int f, int k);
void tt_fm_backward(float *dE, const float *dout, const float *E, int B,
                    int f, int k);

/* ---- DCN cross layers over x0 (B, D):
 *      x_{l+1} = x0 * (W_l x_l + b_l) + x_l,  W_l: (D, D), b_l: (D)
 * xs: (L + 1, B, D) with xs[0] = x0 copied in by forward; out = xs[L];
 * pre: (L, B, D) keeps W_l x_l + b_l. Weights packed W: (L, D, D), b: (L, D). */
void tt_cross_forward(float *xs, float *pre, const float *x0, const float *W,
                      const float *b, int B, int D, int L);
/* dout: (B, D) gradient of xs[L]; accumulates dx0, dW, db.
 * scratch: at least 2 * B * D floats. */
void tt_cross_backward(float *dx0, float *dW, float *db, const float *dout,
                       const float *xs, const float *pre, const float *W,
                       int B, int D, int L, float *scratch);

/* ---- FE-Block score (IntTower): H user heads against G item vectors ----
 * S[b, n] = sum_h max_g <Q[b, h, :], V[n, g, :]>   Q: (B, H, d), V: (N, G, d)
 * S has row stride lds; arg (B, H, lds) keeps the winning g of every
 * (b, n, h) for backward (the first g on ties; a NaN first product stays).
 * The heads are summed in order h = 0, 1, ... in float. G <= 255.
 * VT: scratch of tt_fe_scratch(N, G, d) floats (the item vectors by
 * coordinate); nothing else is written, nothing allocated. */
long tt_fe_scratch(int N, int G, int d);
void tt_fe_forward(float *S, int lds, uint8_t *arg, float *VT, const float *Q,
                   const float *V, int B, int N, int H, int G, int d);
/* The same scores for queries at any strides (user b's head h at
 * Q + b bs + h hs), the winners kept only when arg is not NULL: the
 * evaluator's tiles. Every score is the same function of its query and item
 * rows as in tt_fe_forward (an item's place in the block of N decides only
 * which loop computes it: a target's score and the scores it is ranked
 * among come from the same call). */
void tt_fe_scores(float *S, int lds, uint8_t *arg, float *VT, const float *Q, long bs, long hs,
                  const float *V, int B, int N, int H, int G, int d);
/* dQ (B, H, d) += alpha sum_n dS[b, n] V[n, arg] and
 * dV (N, G, d) += alpha sum_b dS[b, n] Q[b, h] at the winners, in one pass
 * (each winner read once for both): threads split it by items, each with
 * its own dQ to sum after. */
void tt_fe_backward(float *dQ, float *dV, float alpha, const float *dS, int lds,
                    const uint8_t *arg, const float *Q, const float *V, int B, int N, int H,
                    int G, int d);
/* ---- Multi-interest user representations from a history ----
 * H (B, L, d): each row's history item embeddings, padded to L positions;
 * len (B): its real length, 0 <= len <= L. Padding positions take no part
 * (no attention, no routing weight) and get no gradient; a row with an
 * empty history gets zero interest vectors. V (B, K, d): the interests. */

/* MIND's per-user interest count K'u = max(1, min(K, floor(log2 n))) for a
 * history of n items (n = 0 or 1 gives 1). */
int tt_interest_count(int n, int K);

/* ComiRec-SA self-attention (no biases, as the paper's formula):
 *   P = tanh(H W1^T)          W1: (h, d)   P: (B, L, h)
 *   A = softmax over the len positions of (P W2^T)   W2: (K, h)   A: (B, L, K)
 *   V[k] = sum_i A[i, k] H[i]
 * P and A are kept for backward (A is 0 at padding). */
void tt_iattn_forward(float *V, float *P, float *A, const float *H,
                      const int32_t *len, const float *W1, const float *W2,
                      int B, int L, int d, int h, int K);
/* dS (B, L, K) and dP (B, L, h): scratch, overwritten. */
void tt_iattn_backward(float *dH, float *dW1, float *dW2, const float *dV,
                       const float *H, const int32_t *len, const float *P,
                       const float *A, const float *W1, const float *W2,
                       int B, int L, int d, int h, int K, float *dS, float *dP);

/* MIND behaviour-to-interest dynamic routing, kk[b] active interests:
 *   c_i = S h_i (S: (d, d) shared bilinear map; S NULL: the identity,
 *   c_i = h_i, and dS is not touched)                 C: (B, L, d)
 *   b_ik = b0[i, k] (fixed draws, tt_iroute_logits), then T times:
 *     w_i = softmax over the active k of b_i;  z_k = sum_i w_ik c_i;
 *     u_k = squash(z_k) = |z_k|^2 / (1 + |z_k|^2) z_k / |z_k|;
 *     b_ik += u_k . c_i  (not after the last iteration)
 *   V[k] = u_k of the last iteration for k < kk[b], 0 for the inactive.
 * The gradient flows through every iteration (the routing logits included).
 * Kept for backward: C, Wr (B, T, L, K), Z and U (B, T, K, d).
 * scratch: B * L * K floats. kk[b] <= TT_IROUTE_MAXK; 1 <= T.
 * TT_ROUTE_ITERS: the default T (MIND's 3). */
#define TT_ROUTE_ITERS 3
#define TT_IROUTE_MAXK 64
void tt_iroute_logits(float *b0, int L, int K);   /* b0 (L, K) ~ N(0, 1) */
void tt_iroute_forward(float *V, float *C, float *Wr, float *Z, float *U,
                       const float *H, const int32_t *len, const int32_t *kk,
                       const float *S, const float *b0, int B, int L, int d,
                       int K, int T, float *scratch);
/* dC (B, L, d) and scratch (B * (L * K + 2 * K * d)): overwritten. */
void tt_iroute_backward(float *dH, float *dS, const float *dV, const float *H,
                        const float *C, const float *Wr, const float *Z,
                        const float *U, const int32_t *len, const int32_t *kk,
                        const float *S, int B, int L, int d, int K, int T, float *dC,
                        float *scratch);

/* Hard selection of the interest per training target (ComiRec's and MIND's
 * training): sel[b] = the first k < kk[b] (kk NULL: K) with the largest
 * I[b, k] . T[trow[b]], out[b] = I[b, sel[b]].
 * I: (B, K, D); T: rows of stride ldt (the target items' vectors). */
void tt_interest_pick_forward(float *out, int32_t *sel, const float *I,
                              const int32_t *kk, const float *T, int ldt,
                              const int64_t *trow, int B, int K, int D);
/* dI[b, sel[b]] += dout[b] */
void tt_interest_pick_backward(float *dI, const float *dout, const int32_t *sel,
                               int B, int K, int D);

/* MIND's label-aware attention over the kk[b] active interests (kk NULL:
 * all K), with sharpness p > 0:
 *   s_k = I[b, k] . T[trow[b]];  a = softmax_k(p s);  out[b] = sum_k a_k I[b, k]
 * aw (B, K) keeps a (0 for the inactive). The paper writes softmax(pow(s, p));
 * with cosines in [-1, 1] a power flattens rather than sharpens, so p scales
 * (both tend to the hard pick as p grows). K <= TT_MI_PICK_MAXK. */
#define TT_MI_PICK_MAXK 64
void tt_interest_attend_forward(float *out, float *aw, const float *I, const int32_t *kk,
                                const float *T, int ldt, const int64_t *trow, float p, int B,
                                int K, int D);
/* dI (B, K, D) += the interests' gradient; dT (rows of stride ldt) +=
 * the target rows' gradient through a (rows in trow may repeat: sequential). */
void tt_interest_attend_backward(float *dI, float *dT, const float *dout, const float *aw,
                                 const float *I, const int32_t *kk, const float *T, int ldt,
                                 const int64_t *trow, float p, int B, int K, int D);

#endif
