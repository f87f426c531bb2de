"""Tabular OMD vs MLE (paper section 4, appendices C and G), float64.

mdp         finite MDPs, the Figure-3 MDP, exact J(π) and Monte-Carlo returns
bellman     soft Bellman operator, its fixed point (soft policy iteration), L_true
model       θ = (logits, rewards), parameterisations, norm-ball projection, MLE loss
train       batched projected-Adam training of OMD / MLE models
metrics     J in the true MDP, max|Q* − Q̂| and the Theorem 2 bounds
experiment  the Figure 2 / 3 (right) bound sweep and the Figure 6 noise experiment
claims      PASS/FAIL checks of what those figures must show
report      per-seed CSVs, PNG plots, summary tables
"""
