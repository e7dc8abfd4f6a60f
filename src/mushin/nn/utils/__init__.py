"""``mu.nn.utils``, PyTorch's ``torch.nn.utils``: gradient clipping (``clip_grad.py``:
``clip_grad_norm``, PyTorch's ``clip_grad_norm_``, ``clip_grad_value_``) and, in ``rnn``,
variable-length sequences for the recurrent layers (``PackedSequence``,
``pack_padded_sequence``, ``pad_packed_sequence``, ``pad_sequence``...)."""

from mushin.nn.utils import rnn as rnn
from mushin.nn.utils.clip_grad import clip_grad_norm as clip_grad_norm
from mushin.nn.utils.clip_grad import clip_grad_norm_ as clip_grad_norm_
from mushin.nn.utils.clip_grad import clip_grad_value_ as clip_grad_value_

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "rnn"]
