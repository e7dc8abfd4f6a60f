"""An actor-critic agent learning to balance a pole: pytorch/examples'
``reinforcement_learning/actor_critic.py`` in mushin.

One network (4 -> 128) has two heads: the actor's action probabilities and the critic's
estimate of the state's value. After each episode the actor's log-probabilities are weighted
by the advantage (normalised discounted return minus the critic's value) and the critic is
fitted to the returns with the smooth-L1 loss; Adam (rate 3e-2) updates both. Training stops
when the running reward passes the task's threshold (475) or after ``--episodes`` episodes.

    python examples/actor_critic.py [--episodes 1000] [--seed 543]

The program is the original with ``torch`` renamed ``mushin``; its PyTorch twin is this file
with the imports renamed back (``tests/examples/twin.py``), and
``tests/examples/test_example_actor_critic.py`` replays the same episode in both from the same
weights and compares the losses and updates.

Differs from the original:

- the environment is gymnasium's CartPole-v1 where gymnasium is installed, else the NumPy
  cart-pole of ``examples/cartpole.py`` (the same physics and conventions).
- the options, environment, model and optimizer are made in ``main()`` (the original builds
  them at import), and ``select_action``/``finish_episode`` take the model, optimizer and
  discount as arguments, so a test can import the module.
- ``--episodes`` (default 1000) bounds the run; ``main`` ends with a ``result:`` and a
  ``time:`` line.
"""

import argparse
import time
from collections import namedtuple
from itertools import count

import numpy as np

import mushin as mu
import mushin.nn as nn
import mushin.nn.functional as F
import mushin.optim as optim
from mushin.distributions import Categorical

try:
    import gymnasium as gym
except ImportError:
    import cartpole as gym


SavedAction = namedtuple('SavedAction', ['log_prob', 'value'])


class Policy(nn.Module):
    """
    implements both actor and critic in one model
    """
    def __init__(self):
        super(Policy, self).__init__()
        self.affine1 = nn.Linear(4, 128)

        # actor's layer
        self.action_head = nn.Linear(128, 2)

        # critic's layer
        self.value_head = nn.Linear(128, 1)

        # action & reward buffer
        self.saved_actions = []
        self.rewards = []

    def forward(self, x):
        """
        forward of both actor and critic
        """
        x = F.relu(self.affine1(x))

        # actor: choses action to take from state s_t
        # by returning probability of each action
        action_prob = F.softmax(self.action_head(x), dim=-1)

        # critic: evaluates being in the state s_t
        state_values = self.value_head(x)

        # return values for both actor and critic as a tuple of 2 values:
        # 1. a list with the probability of each action over the action space
        # 2. the value from state s_t
        return action_prob, state_values


eps = np.finfo(np.float32).eps.item()


def select_action(model, state):
    """An action drawn from the actor at ``state``; its log-probability and the critic's
    value are saved for the update."""
    state = mu.from_numpy(state).float()
    probs, state_value = model(state)

    # create a categorical distribution over the list of probabilities of actions
    m = Categorical(probs)

    # and sample an action using the distribution
    action = m.sample()

    # save to action buffer
    model.saved_actions.append(SavedAction(m.log_prob(action), state_value))

    # the action to take (left or right)
    return action.item()


def finish_episode(model, optimizer, gamma):
    """
    Training code. Calculates actor and critic loss and performs backprop.
    """
    R = 0
    saved_actions = model.saved_actions
    policy_losses = [] # list to save actor (policy) loss
    value_losses = [] # list to save critic (value) loss
    returns = [] # list to save the true values

    # calculate the true value using rewards returned from the environment
    for r in model.rewards[::-1]:
        # calculate the discounted value
        R = r + gamma * R
        returns.insert(0, R)

    returns = mu.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + eps)

    for (log_prob, value), R in zip(saved_actions, returns):
        advantage = R - value.item()

        # calculate actor (policy) loss
        policy_losses.append(-log_prob * advantage)

        # calculate critic (value) loss using L1 smooth loss
        value_losses.append(F.smooth_l1_loss(value, mu.tensor([R])))

    # reset gradients
    optimizer.zero_grad()

    # sum up all the values of policy_losses and value_losses
    loss = mu.stack(policy_losses).sum() + mu.stack(value_losses).sum()

    # perform backprop
    loss.backward()
    optimizer.step()

    # reset rewards and action buffer
    del model.rewards[:]
    del model.saved_actions[:]
    return loss.item()


def main():
    """Train until the running reward passes the threshold or ``--episodes`` run out."""
    start = time.perf_counter()
    parser = argparse.ArgumentParser(description='mushin actor-critic example')
    parser.add_argument('--gamma', type=float, default=0.99, metavar='G',
                        help='discount factor (default: 0.99)')
    parser.add_argument('--seed', type=int, default=543, metavar='N',
                        help='random seed (default: 543)')
    parser.add_argument('--render', action='store_true',
                        help='render the environment')
    parser.add_argument('--log-interval', type=int, default=10, metavar='N',
                        help='interval between training status logs (default: 10)')
    parser.add_argument('--episodes', type=int, default=1000, metavar='N',
                        help='the most episodes to run (default: 1000)')
    args = parser.parse_args()

    render_mode = "human" if args.render else None
    env = gym.make('CartPole-v1', render_mode=render_mode)
    env.reset(seed=args.seed)
    mu.manual_seed(args.seed)

    model = Policy()
    optimizer = optim.Adam(model.parameters(), lr=3e-2)

    running_reward = 10
    i_episode = 0

    # run infinitely many episodes
    for i_episode in count(1):

        # reset environment and episode reward
        state, _ = env.reset()
        ep_reward = 0

        # for each episode, only run 9999 steps so that we don't
        # infinite loop while learning
        for t in range(1, 10000):

            # select action from policy
            action = select_action(model, state)

            # take the action
            state, reward, terminated, truncated, _ = env.step(action)

            model.rewards.append(reward)
            ep_reward += reward
            if terminated or truncated:
                break

        # update cumulative reward
        running_reward = 0.05 * ep_reward + (1 - 0.05) * running_reward

        # perform backprop
        finish_episode(model, optimizer, args.gamma)

        # log results
        if i_episode % args.log_interval == 0:
            print(f'Episode {i_episode}\tLast reward: {ep_reward:.2f}\t'
                  f'Average reward: {running_reward:.2f}')

        # check if we have "solved" the cart pole problem
        if running_reward > env.spec.reward_threshold:
            print(f"Solved! Running reward is now {running_reward} and "
                  f"the last episode runs to {t} time steps!")
            break
        if i_episode >= args.episodes:
            break
    print(f"result: running reward {running_reward:.1f} after {i_episode} episodes")
    print(f"time: {time.perf_counter() - start:.1f} s")


if __name__ == '__main__':
    main()
