"""A cart-pole balancing task in NumPy, with the part of gymnasium's interface the ported
reinforcement-learning examples use (``make``, ``reset``, ``step``, ``spec.reward_threshold``),
so that they run where gymnasium is not installed.

The physics is the classic one (Barto, Sutton and Anderson, 1983): a pole hinged on a cart
that moves on a track; each step pushes the cart left or right with a force of 10 N, and the
state (cart position, cart velocity, pole angle, pole angular velocity) advances by explicit
Euler integration over 0.02 s. An episode ends when the pole leans more than 12 degrees, the
cart leaves the track (|x| > 2.4), or after 500 steps; every step earns a reward of 1, and a
running reward above 475 counts as solved (CartPole-v1's conventions).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Spec:
    """What gymnasium's ``env.spec`` gives the examples."""

    id: str = "CartPole-v1"
    reward_threshold: float = 475.0
    max_episode_steps: int = 500


class CartPole:
    """The cart-pole environment; ``reset`` and ``step`` as gymnasium's."""

    gravity = 9.8
    cart_mass = 1.0
    pole_mass = 0.1
    pole_half_length = 0.5
    force = 10.0
    seconds_per_step = 0.02
    angle_limit = 12 * 2 * math.pi / 360
    position_limit = 2.4

    def __init__(self) -> None:
        self.spec = Spec()
        self._random = np.random.default_rng()
        self._state = np.zeros(4)
        self._steps = 0

    def reset(self, seed: int | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        """A new episode from a small random state (reseeded when ``seed`` is given)."""
        if seed is not None:
            self._random = np.random.default_rng(seed)
        self._state = self._random.uniform(-0.05, 0.05, size=4)
        self._steps = 0
        return self._state.astype(np.float32), {}

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Push left (0) or right (1): the new state, the reward, whether the pole fell or
        the cart left the track, whether the step limit was reached, and an empty info."""
        if action not in (0, 1):
            raise ValueError(f"CartPole.step: action must be 0 or 1, got {action!r}")
        position, velocity, angle, angular_velocity = self._state
        push = self.force if action == 1 else -self.force
        cos, sin = math.cos(angle), math.sin(angle)
        total_mass = self.cart_mass + self.pole_mass
        pole_moment = self.pole_mass * self.pole_half_length
        temp = (push + pole_moment * angular_velocity ** 2 * sin) / total_mass
        angular_acceleration = (self.gravity * sin - cos * temp) / (
            self.pole_half_length * (4.0 / 3.0 - self.pole_mass * cos ** 2 / total_mass))
        acceleration = temp - pole_moment * angular_acceleration * cos / total_mass
        dt = self.seconds_per_step
        self._state = np.array([position + dt * velocity, velocity + dt * acceleration,
                                angle + dt * angular_velocity,
                                angular_velocity + dt * angular_acceleration])
        self._steps += 1
        terminated = bool(abs(self._state[0]) > self.position_limit
                          or abs(self._state[2]) > self.angle_limit)
        truncated = self._steps >= self.spec.max_episode_steps
        return self._state.astype(np.float32), 1.0, terminated, truncated, {}


def make(name: str, render_mode: str | None = None) -> CartPole:
    """``gymnasium.make('CartPole-v1')``; rendering is not supported."""
    if name != "CartPole-v1":
        raise ValueError(f"make: only 'CartPole-v1' is available offline, got {name!r}")
    if render_mode is not None:
        raise ValueError("make: the offline cart-pole does not render; pass render_mode=None")
    return CartPole()
