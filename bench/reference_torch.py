#!/usr/bin/env python3
"""PyTorch reference of the ML-100K protocol models (../shared/PROTOCOL.md).

Used by `make bench` to time the same model side by side with ttlab on this
machine, so the speed-up is quoted as a ratio measured in one run. It is an
independent implementation: it shares no code with ttlab.

usage: reference_torch.py ML100K_DIR MODEL [EPOCHS] [SEED] [THREADS] [LR]
  MODEL: dssm | senet | dssm-inbatch | fm | dat | comirec
  fm: each tower is the vector-form FM over its field embeddings,
      1/2 ((sum_f e_f)^2 - sum_f e_f^2), then L2-normalised (ttlab's
      `embed dim=16 | channels (fm) | l2norm`); the check of ttlab's FM channel.
  dat: dssm with DAT (Yu et al. 2021) as ttlab implements it (`augment=dat`,
      src/model/tt_model_loss.c): an augmented vector a_u per user_id and a_v
      per item_id (width 32, initialised N(0, 1/32)) concatenated to its own
      tower's MLP input; loss = softmax + w/B sum_b (|a_u - p_v|^2 +
      |a_v - p_u|^2) with the tower outputs p held constant (detached), p_v the
      positive item's output; w = TT_DAT_W (default 0.5, ttlab's dat_w).
  comirec: the user tower is ComiRec-SA as ttlab's `interests k=4
      via=attention out=32 | l2norm` (src/model/tt_tower_mi.c): the history's
      item embeddings H (L, 16), A = softmax over the real positions of
      tanh(H W1^T) W2^T (hidden 64 = 4 d, K = 4 columns), interest k =
      A[:, k]^T H, then [interest | the other user fields] -> Linear 96 -> 32,
      L2-normalised per interest; training uses, per example, the interest
      with the highest score for the target (hard pick); evaluation scores an
      item by its best interest. The item tower is dssm's.
  LR: Adam learning rate (default 1e-3, the protocol's)
  TT_EPOCH_LINES=1 in the environment also prints one line per epoch:
      epoch=N train_loss=... valid_recall@20=... (train_loss: mean over the epoch's batches)
prints one line: model=... epochs=... sec_per_epoch=... cpu_sec_per_epoch=...
                 (process CPU time, all threads) examples_per_s=...
                 test_recall@20=... (at the best valid epoch)
"""
import os, sys, time, math
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def load(d):
    inter = np.loadtxt(f"{d}/u.data", dtype=np.int64)[:, [0, 1, 3]]
    users = {}
    for line in open(f"{d}/u.user", encoding="latin-1"):
        uid, age, g, occ, z = line.rstrip("\n").split("|")
        users[int(uid)] = (int(age), g, occ, z[:3])
    items = {}
    for line in open(f"{d}/u.item", encoding="latin-1"):
        f = line.rstrip("\n").split("|")
        date = f[2]
        dec = (int(date[-4:]) // 10) * 10 if date else -1
        items[int(f[0])] = ([i for i, v in enumerate(f[5:24]) if v == "1"], dec)
    return inter, users, items


def vocab(vals):
    v = {x: i + 1 for i, x in enumerate(sorted(set(vals)))}
    return v


def main():
    d, model = sys.argv[1], sys.argv[2]
    epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    threads = int(sys.argv[5]) if len(sys.argv) > 5 else 2
    lr = float(sys.argv[6]) if len(sys.argv) > 6 else 1e-3
    epoch_lines = os.environ.get("TT_EPOCH_LINES") == "1"
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    np.random.seed(seed)
    inter, users, items = load(d)
    nu, ni = 943, 1682
    edges = [18, 25, 35, 45, 50, 56]
    age = np.zeros(nu + 1, np.int64); gen = np.zeros(nu + 1, np.int64)
    occ = np.zeros(nu + 1, np.int64); zp = np.zeros(nu + 1, np.int64)
    gv = vocab(u[1] for u in users.values()); ov = vocab(u[2] for u in users.values())
    zv = vocab(u[3] for u in users.values())
    for uid, (a, g, o, z) in users.items():
        age[uid] = 1 + sum(a >= e for e in edges); gen[uid] = gv[g]; occ[uid] = ov[o]; zp[uid] = zv[z]
    dv = vocab(i[1] for i in items.values())
    dec = np.zeros(ni + 1, np.int64)
    gen_off = [0]; gen_ids = []
    for iid in range(1, ni + 1):
        g, de = items[iid]
        dec[iid] = dv[de]; gen_ids += [x + 1 for x in g]; gen_off.append(len(gen_ids))
    # leave-last-two-out
    order = np.lexsort((inter[:, 1], inter[:, 2], inter[:, 0]))
    inter = inter[order]
    tr, va, te = [], [], []
    H = 20
    start = 0
    while start < len(inter):
        end = start
        while end < len(inter) and inter[end, 0] == inter[start, 0]:
            end += 1
        seq = inter[start:end, 1]
        u = inter[start, 0]
        n = len(seq)
        for j in range(n - 2):
            tr.append((u, seq[j], list(seq[max(0, j - H):j][::-1])))
        va.append((u, seq[n - 2], list(seq[max(0, n - 2 - H):n - 2][::-1])))
        te.append((u, seq[n - 1], list(seq[max(0, n - 1 - H):n - 1][::-1])))
        start = end

    def batchify(ex):
        u = torch.tensor([e[0] for e in ex]); it = torch.tensor([e[1] for e in ex])
        hist = torch.zeros(len(ex), H, dtype=torch.long)
        for r, e in enumerate(ex):
            if e[2]:
                hist[r, :len(e[2])] = torch.tensor(e[2])
        return u, it, hist

    trU, trI, trH = batchify(tr)
    vaU, vaI, vaH = batchify(va)
    teU, teI, teH = batchify(te)
    # item genre bags as a padded matrix
    G = max(gen_off[i + 1] - gen_off[i] for i in range(ni))
    gpad = torch.zeros(ni + 1, G, dtype=torch.long)
    for i in range(ni):
        g = gen_ids[gen_off[i]:gen_off[i + 1]]
        gpad[i + 1, :len(g)] = torch.tensor(g)
    age_t, gen_t, occ_t, zp_t, dec_t = map(torch.tensor, (age, gen, occ, zp, dec))
    k = 16

    def bag(emb, ids):
        m = (ids > 0).float().unsqueeze(-1)
        s = (emb(ids) * m).sum(1)
        return s / m.sum(1).clamp(min=1)

    class SE(nn.Module):
        def __init__(s, f):
            super().__init__(); h = max(1, f // 2)
            s.l1 = nn.Linear(f, h); s.l2 = nn.Linear(h, f)
        def forward(s, E):
            a = torch.sigmoid(s.l2(F.relu(s.l1(E.mean(-1)))))
            return E * a.unsqueeze(-1)

    def fm(E):  # E (B, f, k) -> (B, k): the sum of all pairwise products
        return 0.5 * (E.sum(1) ** 2 - (E * E).sum(1))

    K_MI, DAT_W = 4, float(os.environ.get("TT_DAT_W", "0.5"))

    class M(nn.Module):
        def __init__(s, senet, fm_only=False, dat=False, comirec=False):
            super().__init__()
            s.eu = nn.Embedding(nu + 1, k); s.ea = nn.Embedding(8, k); s.eg = nn.Embedding(len(gv) + 1, k)
            s.eo = nn.Embedding(len(ov) + 1, k); s.ez = nn.Embedding(len(zv) + 1, k)
            s.ei = nn.Embedding(ni + 1, k); s.egen = nn.Embedding(20, k); s.ed = nn.Embedding(len(dv) + 1, k)
            da = 32 if dat else 0
            s.u1 = nn.Linear(6 * k + da, 64); s.u2 = nn.Linear(64, 32)
            s.i1 = nn.Linear(3 * k + da, 64); s.i2 = nn.Linear(64, 32)
            s.dat, s.comirec = dat, comirec
            if dat:   # ttlab: N(0, 1) scaled by 1/sqrt(Da)
                s.au = nn.Parameter(torch.randn(nu + 1, 32) / math.sqrt(32))
                s.av = nn.Parameter(torch.randn(ni + 1, 32) / math.sqrt(32))
            if comirec:
                s.W1 = nn.Linear(k, 4 * k, bias=False); s.W2 = nn.Linear(4 * k, K_MI, bias=False)
                s.proj = nn.Linear(k + 5 * k, 32)
            s.seu = SE(6) if senet else None; s.sei = SE(3) if senet else None
            s.fm_only = fm_only
        def interests(s, u, hist):
            # (B, K, 32): ComiRec-SA's interests, each with the other fields,
            # projected and L2-normalised; users without history: interest 0
            # alone is active (the others are masked by active()).
            H = s.ei(hist) * (hist > 0).float().unsqueeze(-1)          # (B, L, k)
            A = s.W2(torch.tanh(s.W1(H)))                                # (B, L, K)
            A = A.masked_fill((hist == 0).unsqueeze(-1), float("-inf"))
            A = torch.nan_to_num(torch.softmax(A, 1), nan=0.0)           # (B, L, K)
            V = A.transpose(1, 2) @ H                                    # (B, K, k)
            O = torch.cat([s.eu(u), s.ea(age_t[u]), s.eg(gen_t[u]), s.eo(occ_t[u]),
                           s.ez(zp_t[u])], 1)                            # (B, 5k)
            X = torch.cat([V, O.unsqueeze(1).expand(-1, K_MI, -1)], 2)   # (B, K, 6k)
            return F.normalize(s.proj(X), dim=-1)
        def active(s, hist):   # (B, K): interest k is used
            has = (hist > 0).any(1, keepdim=True)
            return torch.cat([torch.ones_like(has), has.expand(-1, K_MI - 1)], 1)
        def user(s, u, hist):
            E = torch.stack([s.eu(u), s.ea(age_t[u]), s.eg(gen_t[u]), s.eo(occ_t[u]), s.ez(zp_t[u]),
                             bag(s.ei, hist)], 1)
            if s.seu is not None: E = s.seu(E)
            if s.fm_only: return F.normalize(fm(E), dim=-1)
            x = E.flatten(1)
            if s.dat: x = torch.cat([x, s.au[u]], 1)
            return F.normalize(s.u2(F.relu(s.u1(x))), dim=-1)
        def item(s, i):
            E = torch.stack([s.ei(i), bag(s.egen, gpad[i]), s.ed(dec_t[i])], 1)
            if s.sei is not None: E = s.sei(E)
            if s.fm_only: return F.normalize(fm(E), dim=-1)
            x = E.flatten(1)
            if s.dat: x = torch.cat([x, s.av[i]], 1)
            return F.normalize(s.i2(F.relu(s.i1(x))), dim=-1)

    m = M(model == "senet", model == "fm", model == "dat", model == "comirec")
    opt = torch.optim.Adam(m.parameters(), lr=lr)
    all_items = torch.arange(1, ni + 1)
    seen_tr = {}
    for (u, i, _) in tr:
        seen_tr.setdefault(u, set()).add(i)

    def evaluate(U, I, Hh, extra):
        with torch.no_grad():
            V = m.item(all_items)
            if model == "comirec":   # an item's score: its best active interest
                S = (m.interests(U, Hh) @ V.T).masked_fill(~m.active(Hh).unsqueeze(-1),
                                                           float("-inf")).amax(1)
            else:
                S = m.user(U, Hh) @ V.T
            hits = 0
            for r in range(len(U)):
                u = int(U[r]); t = int(I[r]) - 1
                s = S[r].clone()
                ex = set(seen_tr.get(u, ())) | extra.get(u, set())
                for j in ex: s[j - 1] = -1e9
                st = s[t]
                rank = 1 + int((s > st).sum()) + int((s[:t] == st).sum())
                hits += rank <= 20
            return hits / len(U)

    vext = {}
    text = {int(u): {int(i)} for u, i in zip(vaU, vaI)}
    best, best_test, times, cpus = -1, 0, [], []
    n = len(trU)
    for ep in range(epochs):
        perm = torch.randperm(n)
        t0, c0 = time.time(), time.process_time()
        m.train()
        loss_sum, nb = 0.0, 0
        for b in range(0, n, 256):
            idx = perm[b:b + 256]
            if model == "comirec":
                V = m.item(all_items)
                I = m.interests(trU[idx], trH[idx])                      # (B, K, 32)
                with torch.no_grad():   # the hard pick: the interest nearest the target
                    sc = (I * V[trI[idx] - 1].unsqueeze(1)).sum(-1)
                    sc = sc.masked_fill(~m.active(trH[idx]), float("-inf"))
                    pick = sc.argmax(1)
                q = I[torch.arange(len(idx)), pick]
                logits = q @ V.T / 0.05
                loss = F.cross_entropy(logits, trI[idx] - 1)
            elif model == "dat":
                q = m.user(trU[idx], trH[idx])
                V = m.item(all_items); logits = q @ V.T / 0.05
                loss = F.cross_entropy(logits, trI[idx] - 1)
                pv = V[trI[idx] - 1]
                mim = ((m.au[trU[idx]] - pv.detach()) ** 2).sum(1) + \
                      ((m.av[trI[idx]] - q.detach()) ** 2).sum(1)
                loss = loss + DAT_W * mim.mean()
            elif model == "dssm-inbatch":
                q = m.user(trU[idx], trH[idx])
                v = m.item(trI[idx]); logits = q @ v.T / 0.05
                loss = F.cross_entropy(logits, torch.arange(len(idx)))
            else:
                q = m.user(trU[idx], trH[idx])
                V = m.item(all_items); logits = q @ V.T / 0.05
                loss = F.cross_entropy(logits, trI[idx] - 1)
            opt.zero_grad(); loss.backward(); opt.step()
            loss_sum += float(loss); nb += 1
        times.append(time.time() - t0); cpus.append(time.process_time() - c0)
        vr = evaluate(vaU, vaI, vaH, vext)
        if epoch_lines:
            print(f"epoch={ep + 1} train_loss={loss_sum / nb:.4f} valid_recall@20={vr:.4f}", flush=True)
        if vr > best:
            best = vr; best_test = evaluate(teU, teI, teH, text)
    spe = sum(times) / len(times)
    print(f"model={model} epochs={epochs} sec_per_epoch={spe:.3f} cpu_sec_per_epoch="
          f"{sum(cpus) / len(cpus):.3f} examples_per_s={n / spe:.0f} "
          f"valid_recall@20={best:.4f} test_recall@20={best_test:.4f}")


if __name__ == "__main__":
    main()
