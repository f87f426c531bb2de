"""Implicit differentiation for bilevel problems in TensorFlow.

Layout (solver + optimality condition + linear solve):
  autodiff      matrix-free Hessian-vector and mixed second-order products
  linear_solve  identity / conjugate-gradient / normal-equation CG solves
  root          the implicit-gradient primitive (`custom_root`, `implicit_call`)
  layer         `ImplicitLayer`, the Keras face of `implicit_call`
  solvers       inner solvers (K warm-started optimiser steps)
"""

from omd_tf.implicit.autodiff import gradient
from omd_tf.implicit.autodiff import hvp
from omd_tf.implicit.autodiff import jvp
from omd_tf.implicit.autodiff import mixed_vjp
from omd_tf.implicit.autodiff import vjp
from omd_tf.implicit.layer import ImplicitLayer
from omd_tf.implicit.linear_solve import get_solver
from omd_tf.implicit.linear_solve import solve_cg
from omd_tf.implicit.linear_solve import solve_identity
from omd_tf.implicit.linear_solve import solve_normal_cg
from omd_tf.implicit.root import OptimalityCondition
from omd_tf.implicit.root import custom_root
from omd_tf.implicit.root import implicit_call
from omd_tf.implicit.solvers import gradient_steps
