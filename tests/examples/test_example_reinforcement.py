"""examples/reinforce.py and examples/actor_critic.py against their PyTorch twins, and the
offline cart-pole they run on: with the same weights, states and actions (the sampled action
replaced by a fixed sequence), the episodes' losses and the updated weights agree; both
programs run end to end."""

from __future__ import annotations

import math
import re
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from twin import EXAMPLES, copy_weights, load  # noqa: E402

sys.path.insert(0, str(EXAMPLES))
import cartpole  # noqa: E402


def test_cartpole_follows_its_equations_and_gymnasium_conventions():
    env = cartpole.make("CartPole-v1")
    first, info = env.reset(seed=3)
    again, _ = cartpole.make("CartPole-v1").reset(seed=3)
    np.testing.assert_array_equal(first, again)
    assert first.dtype == np.float32 and info == {} and np.all(np.abs(first) <= 0.05)
    # One step by hand (explicit Euler, pole half-length 0.5, masses 1 and 0.1, force 10 N).
    x, v, theta, omega = env._state
    temp = (10.0 + 0.05 * omega ** 2 * math.sin(theta)) / 1.1
    alpha = (9.8 * math.sin(theta) - math.cos(theta) * temp) / (
        0.5 * (4 / 3 - 0.1 * math.cos(theta) ** 2 / 1.1))
    acceleration = temp - 0.05 * alpha * math.cos(theta) / 1.1
    state, reward, terminated, truncated, _ = env.step(1)
    np.testing.assert_allclose(state, [x + 0.02 * v, v + 0.02 * acceleration,
                                       theta + 0.02 * omega, omega + 0.02 * alpha], rtol=1e-6)
    assert (reward, terminated, truncated) == (1.0, False, False)
    steps = 1
    while not terminated:  # always pushing right: the pole falls back within 12 degrees' time
        _, _, terminated, truncated, _ = env.step(1)
        steps += 1
    assert 5 < steps < 100 and not truncated
    assert env.spec.reward_threshold == 475.0
    with pytest.raises(ValueError, match="action must be 0 or 1, got 2"):
        env.step(2)


def _replay(name, module, model, states, actions, episode_lengths):
    """Run ``select_action`` on ``states`` with the sampled actions replaced by ``actions``,
    then ``finish_episode`` after each episode; the losses."""
    lib = module.mu
    chosen = iter(actions)

    class Fixed(module.Categorical):
        def sample(self, sample_shape=()):
            return lib.full(tuple(self.probs.shape[:-1]), next(chosen), dtype=lib.int64)

    module.Categorical = Fixed
    optimizer = module.optim.Adam(model.parameters(), lr=1e-2)
    losses, index = [], 0
    for length in episode_lengths:
        for _ in range(length):
            action = module.select_action(model, states[index])
            assert action == actions[index]
            model.rewards.append(1.0)
            index += 1
        losses.append(module.finish_episode(model, optimizer, 0.99))
    return losses


@pytest.mark.parametrize("name", ["reinforce", "actor_critic"])
def test_updates_match_pytorch(name):
    mt, mm = load(name, "torch"), load(name)
    rng = np.random.default_rng(0)
    lengths = [12, 7, 20]
    states = rng.uniform(-0.2, 0.2, (sum(lengths), 4)).astype(np.float32)
    actions = rng.integers(0, 2, sum(lengths)).tolist()
    torch.manual_seed(0)
    model_t, model_m = mt.Policy(), mm.Policy()
    copy_weights(model_t, model_m)
    if name == "reinforce":
        model_t.dropout.p = model_m.dropout.p = 0.0
    losses_t = _replay(name, mt, model_t, states, actions, lengths)
    losses_m = _replay(name, mm, model_m, states, actions, lengths)
    np.testing.assert_allclose(losses_m, losses_t, rtol=1e-4, atol=1e-6)
    state_t = {key: value.numpy() for key, value in model_t.state_dict().items()}
    for key, value in model_m.state_dict().items():
        np.testing.assert_allclose(value.numpy(), state_t[key], rtol=1e-4, atol=1e-6,
                                   err_msg=key)


@pytest.mark.parametrize("name", ["reinforce", "actor_critic"])
def test_program_runs_end_to_end(name):
    run = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py"), "--episodes", "12"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert re.search(r"^Episode 10\tLast reward: [0-9.]+\tAverage reward: [0-9.]+$",
                     run.stdout, re.M)
    assert re.search(r"^result: running reward [0-9.]+ after 12 episodes$", run.stdout, re.M)
    assert re.search(r"^time: [0-9.]+ s$", run.stdout, re.M)
