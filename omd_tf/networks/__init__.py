"""Networks of the OMD agents: Q / value MLPs and the dynamics-reward model."""

from omd_tf.networks.mlp import ACTIVATIONS
from omd_tf.networks.mlp import INITIALIZERS
from omd_tf.networks.mlp import MemberDense
from omd_tf.networks.mlp import MemberInitializer
from omd_tf.networks.mlp import MemberNetwork
from omd_tf.networks.mlp import check_hidden_dim
from omd_tf.networks.mlp import copy_member
from omd_tf.networks.mlp import member_values
from omd_tf.networks.mlp import merge_members
from omd_tf.networks.mlp import mlp_layers
from omd_tf.networks.mlp import num_discrete_actions
from omd_tf.networks.mlp import q_network
from omd_tf.networks.mlp import split_members
from omd_tf.networks.mlp import value_network
from omd_tf.networks.mlp import vep_value_networks
from omd_tf.networks.model_network import ModelNetwork
