"""A policy gradient (REINFORCE) agent learning to balance a pole: pytorch/examples'
``reinforcement_learning/reinforce.py`` in mushin.

A two-layer policy (4 -> 128 -> 2, dropout 0.6) gives the probabilities of pushing the cart
left or right; actions are sampled from a ``Categorical`` distribution, and after each episode
the log-probabilities of the actions taken are weighted by the normalised discounted returns
(Williams, 1992) and Adam (rate 1e-2) takes a step. Training stops when the running reward
passes the task's threshold (475) or after ``--episodes`` episodes.

    python examples/reinforce.py [--episodes 1000] [--seed 543]

The program is the original with ``torch`` renamed ``mushin``; its PyTorch twin is this file
with the imports renamed back (``tests/examples/twin.py``), and
``tests/examples/test_example_reinforce.py`` replays the same episode in both from the same
weights and compares the losses and updates.

Differs from the original:

- the environment is gymnasium's CartPole-v1 where gymnasium is installed, else the NumPy
  cart-pole of ``examples/cartpole.py`` (the same physics and conventions).
- the options, environment, policy and optimizer are made in ``main()`` (the original builds
  them at import), and ``select_action``/``finish_episode`` take the policy, optimizer and
  discount as arguments, so a test can import the module.
- ``--episodes`` (default 1000) bounds the run; ``main`` ends with a ``result:`` and a
  ``time:`` line.
"""

import argparse
import time
from collections import deque
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


class Policy(nn.Module):
    """State (4) -> 128 -> dropout -> relu -> probabilities of the two actions."""

    def __init__(self):
        super(Policy, self).__init__()
        self.affine1 = nn.Linear(4, 128)
        self.dropout = nn.Dropout(p=0.6)
        self.affine2 = nn.Linear(128, 2)

        self.saved_log_probs = []
        self.rewards = []

    def forward(self, x):
        x = self.affine1(x)
        x = self.dropout(x)
        x = F.relu(x)
        action_scores = self.affine2(x)
        return F.softmax(action_scores, dim=1)


eps = np.finfo(np.float32).eps.item()


def select_action(policy, state):
    """An action drawn from the policy's distribution at ``state``; its log-probability is
    saved for the update."""
    state = mu.from_numpy(state).float().unsqueeze(0)
    probs = policy(state)
    m = Categorical(probs)
    action = m.sample()
    policy.saved_log_probs.append(m.log_prob(action))
    return action.item()


def finish_episode(policy, optimizer, gamma):
    """One policy-gradient step on the episode's saved log-probabilities and rewards; the
    loss."""
    R = 0
    policy_loss = []
    returns = deque()
    for r in policy.rewards[::-1]:
        R = r + gamma * R
        returns.appendleft(R)
    returns = mu.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + eps)
    for log_prob, R in zip(policy.saved_log_probs, returns):
        policy_loss.append(-log_prob * R)
    optimizer.zero_grad()
    policy_loss = mu.cat(policy_loss).sum()
    policy_loss.backward()
    optimizer.step()
    del policy.rewards[:]
    del policy.saved_log_probs[:]
    return policy_loss.item()


def main():
    """Train until the running reward passes the threshold or ``--episodes`` run out."""
    start = time.perf_counter()
    parser = argparse.ArgumentParser(description='mushin REINFORCE example')
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

    policy = Policy()
    optimizer = optim.Adam(policy.parameters(), lr=1e-2)

    running_reward = 10
    i_episode = 0
    for i_episode in count(1):
        state, _ = env.reset()
        ep_reward = 0
        for t in range(1, 10000):  # Don't infinite loop while learning
            action = select_action(policy, state)
            state, reward, terminated, truncated, _ = env.step(action)
            if args.render:
                env.render()
            policy.rewards.append(reward)
            ep_reward += reward
            if terminated or truncated:
                break

        running_reward = 0.05 * ep_reward + (1 - 0.05) * running_reward
        finish_episode(policy, optimizer, args.gamma)
        if i_episode % args.log_interval == 0:
            print(f'Episode {i_episode}\tLast reward: {ep_reward:.2f}\t'
                  f'Average reward: {running_reward:.2f}')
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
