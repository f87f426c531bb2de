"""Training library: compiled collect/train loop, evaluation, resume, export.

checks        argument checks whose messages name the flag
config        `RunConfig`: the settings every training binary has, with each flag's help
environments  train env + batched eval env, checked before any output
evaluation    eval episodes -> CSV + TensorBoard
progress      progress line (env steps, eval return, steps/s, ETA)
loop          `Trainer`: the agent-agnostic loop with checkpoints and export
population    a population's member folders and its mean ± se over members
member_failures  a population's diverged members: frozen, marked, left out
soft_q        `SoftQConfig`, `train_eval` / `make_trainer` for the soft-Q agents (OMD, MLE, VEP)
protocol      soft_q's presets: this project's choices or the reference code's
model_health  whether a run's model MLPs are alive at its start and end
sac           `SacConfig`, `train_eval` / `make_trainer` for the SAC agents (OMD, MLE)
compare       `compare`: agents side by side on one budget (the demo)
curves        eval-return curves: read, mean ± standard error over seeds, plot
summaries     a run's TensorBoard scalars read back
cli           absl flags and `main` of the training binaries
trajectory    models' one-step predictions along one real episode (Figure 5, right)
"""

from omd_tf.training.checks import ConfigError
from omd_tf.training.compare import compare
from omd_tf.training.loop import Trainer
from omd_tf.training.soft_q import SoftQConfig
from omd_tf.training.soft_q import make_trainer
from omd_tf.training.soft_q import train_eval
