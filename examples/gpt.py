"""A character-level GPT: nanoGPT's ``model.py`` in mushin, typed, with nanoGPT's training loop
(``train.py``) and sampling (``sample.py``) on the text of the Python documentation.

The model is Andrej Karpathy's nanoGPT (https://github.com/karpathy/nanoGPT, MIT licence):
token and position embeddings, ``n_layer`` pre-norm blocks of causal self-attention and a GELU
MLP, a final layer norm and a head tied to the token embedding. The program encodes the text
character by character, trains on random blocks of its first 90% with AdamW (weight decay on
the matrices only, ``configure_optimizers``), a cosine learning rate after a linear warmup and
gradients clipped to norm 1, reports the loss on the last 10%, and samples text
(``generate``: temperature and top-k).

    python examples/gpt.py [--max-iters 300] [--n-layer 4] [--n-embd 128] [--device cuda]

The model is typed: its sizes are type parameters (``GPTConfig[Vocab, Embd]``, ``Block[Embd]``,
``LayerNorm[Embd]``), so mypy --strict and pyright check that a block is given
``Tensor[B, T, Embd]`` and returns ``Variable[B, T, Embd]``, and that the model takes
``(B, T)`` indices and targets and gives ``(B, T, Vocab)`` logits and a 0-d loss; sizes the
types cannot compute (heads, the attention's reshapes) are checked when the program runs.
Its PyTorch twin is this file with the imports renamed back (``tests/examples/twin.py``), and
``tests/examples/test_example_gpt.py`` trains both from the same weights and compares them.

Differs from the original:

- ``mu`` names the library (``import mushin as mu``).
- types: annotations name the sizes; ``GPTConfig`` is generic in its vocabulary and embedding
  sizes, which are keyword arguments without a default (GPT-2's in comments); the
  ``transformer`` ``ModuleDict`` is ``TransformerDict``, a ``ModuleDict`` whose entries are
  typed keyword arguments (the checkers cannot see what a plain dict holds). Where a checker
  needs it: ``c_fc`` is declared ``Linear[Embd, Any]`` (``4 * n_embd`` is not a type); the
  last dropout of the attention and the MLP is returned directly (assigned to ``x`` first,
  mypy would type it as the argument's declared ``Tensor``); ``forward``'s ``logits`` and
  ``loss`` and ``LayerNorm``'s result are declared (``F.layer_norm`` is untyped);
  ``_init_weights`` matches the module's class with ``match`` (``isinstance`` leaves pyright
  the layer's sizes Unknown); unused names are ``_``; ``forward`` has an overload with and
  one without targets, so that the training loop's loss is not ``None``.
- attention is always ``F.scaled_dot_product_attention`` (nanoGPT's path for PyTorch >= 2.0):
  no masked-softmax fallback and no ``bias`` mask buffer (nor ``crop_block_size``'s cropping
  of it); ``from_pretrained`` (GPT-2 weights downloaded with ``transformers``) is left out.
- the training loop is nanoGPT's ``train.py`` without checkpoints, DDP, gradient accumulation,
  mixed precision or ``torch.compile``, its options given on the command line and sized to
  train in about a minute on two CPU cores; ``optimizer.zero_grad()`` (``set_to_none=True``,
  nanoGPT's, is the default); the data are ``offline_data.python_docs_text()`` (465,000
  characters shipped with CPython) encoded as in ``data/shakespeare_char/prepare.py`` (the
  sorted characters), and the random blocks come from a seeded NumPy generator. It ends with
  a ``result:`` and a ``time:`` line.
"""

from __future__ import annotations

import argparse
import inspect
import math
import time
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar, TypeVarTuple, overload

import numpy as np
from offline_data import python_docs_text
from tqdm import tqdm  # type: ignore[import-untyped, unused-ignore]

import mushin as mu
import mushin.nn as nn
from mushin.nn import functional as F

Vocab = TypeVar("Vocab", bound=int)
"""The vocabulary size: the logits' last axis."""
Embd = TypeVar("Embd", bound=int)
"""The embedding width, ``n_embd``: every block maps ``(B, T, Embd)`` to itself."""
Batch = TypeVar("Batch", bound=int)
"""The batch size, ``B``."""
Time = TypeVar("Time", bound=int)
"""The sequence length, ``T`` (at most ``block_size``)."""
Leading = TypeVarTuple("Leading")
"""The axes before the normalised one (a layer norm takes any)."""


class LayerNorm(nn.Module, Generic[Embd]):
    """ LayerNorm but with an optional bias. PyTorch doesn't support simply bias=False """

    def __init__(self, ndim: Embd, bias: bool) -> None:
        super().__init__()
        self.weight = nn.Parameter(mu.ones(ndim))
        self.bias = nn.Parameter(mu.zeros(ndim)) if bias else None

    def forward(self, input: mu.Tensor[*Leading, Embd]) -> mu.Variable[*Leading, Embd]:
        """``input`` normalised over its last axis, scaled by ``weight`` and shifted by
        ``bias``."""
        normalized: mu.Variable[*Leading, Embd] = F.layer_norm(
            input, self.weight.shape, self.weight, self.bias, 1e-5)
        return normalized


class CausalSelfAttention(nn.Module, Generic[Embd]):
    """Multi-head self-attention in which each position sees itself and the ones before."""

    def __init__(self, config: GPTConfig[Any, Embd]) -> None:
        super().__init__()
        assert config.n_embd % config.n_head == 0
        # key, query, value projections for all heads, but in a batch
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        # output projection
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        # regularization
        self.attn_dropout = nn.Dropout(config.dropout)
        self.resid_dropout = nn.Dropout(config.dropout)
        self.n_head = config.n_head
        self.n_embd = config.n_embd
        self.dropout = config.dropout

    def forward(self, x: mu.Tensor[Batch, Time, Embd]) -> mu.Variable[Batch, Time, Embd]:
        """Each position's mixture of the values of the positions up to it, per head."""
        B, T, C = x.size() # batch size, sequence length, embedding dimensionality (n_embd)

        # calculate query, key, values for all heads in batch and move head forward to be the
        # batch dim
        q, k, v  = self.c_attn(x).split(self.n_embd, dim=2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) # (B, nh, T, hs)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) # (B, nh, T, hs)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) # (B, nh, T, hs)

        # causal self-attention; Self-attend: (B, nh, T, hs) x (B, nh, hs, T) -> (B, nh, T, T)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=None,
                                           dropout_p=self.dropout if self.training else 0,
                                           is_causal=True)
        y = y.transpose(1, 2).contiguous().view(B, T, C) # re-assemble all head outputs side by side

        # output projection
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module, Generic[Embd]):
    """Position-wise ``Linear(Embd, 4 Embd)``, GELU, ``Linear(4 Embd, Embd)``, dropout."""

    def __init__(self, config: GPTConfig[Any, Embd]) -> None:
        super().__init__()
        # the hidden width, 4 * n_embd, is a size the types cannot compute: Any
        self.c_fc: nn.Linear[Embd, Any] = nn.Linear(config.n_embd, 4 * config.n_embd,
                                                    bias=config.bias)
        self.gelu    = nn.GELU()
        self.c_proj  = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: mu.Tensor[Batch, Time, Embd]) -> mu.Variable[Batch, Time, Embd]:
        """The MLP applied at every position."""
        x = self.c_fc(x)
        x = self.gelu(x)
        x = self.c_proj(x)
        return self.dropout(x)


class Block(nn.Module, Generic[Embd]):
    """A transformer block: ``x + attn(ln_1(x))``, then ``x + mlp(ln_2(x))``."""

    def __init__(self, config: GPTConfig[Any, Embd]) -> None:
        super().__init__()
        self.ln_1 = LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x: mu.Tensor[Batch, Time, Embd]) -> mu.Variable[Batch, Time, Embd]:
        """The block's output, of its input's shape."""
        x = x + self.attn(self.ln_1(x))
        x = x + self.mlp(self.ln_2(x))
        return x


@dataclass(kw_only=True)
class GPTConfig(Generic[Vocab, Embd]):
    """The model's sizes and options (nanoGPT's defaults are GPT-2's)."""

    block_size: int = 1024
    vocab_size: Vocab # GPT-2: 50304 (50257 padded up to nearest multiple of 64 for efficiency)
    n_layer: int = 12
    n_head: int = 12
    n_embd: Embd # GPT-2: 768
    dropout: float = 0.0
    bias: bool = True # True: bias in Linears and LayerNorms, like GPT-2. False: a bit better and
                      # faster


class TransformerDict(nn.ModuleDict, Generic[Vocab, Embd]):
    """GPT's ``transformer`` ``ModuleDict``, its entries typed: token and position
    embeddings, embedding dropout, the blocks and the final layer norm."""

    wte: nn.Embedding[Vocab, Embd]
    wpe: nn.Embedding[int, Embd]
    drop: nn.Dropout
    h: nn.ModuleList[Block[Embd]]
    ln_f: LayerNorm[Embd]

    def __init__(self, wte: nn.Embedding[Vocab, Embd], wpe: nn.Embedding[int, Embd],
                 drop: nn.Dropout, h: nn.ModuleList[Block[Embd]], ln_f: LayerNorm[Embd]) -> None:
        super().__init__()
        self.wte, self.wpe, self.drop, self.h, self.ln_f = wte, wpe, drop, h, ln_f


class GPT(nn.Module, Generic[Vocab, Embd]):
    """The GPT language model: the logits of each next token of ``(B, T)`` token indices."""

    def __init__(self, config: GPTConfig[Vocab, Embd]) -> None:
        super().__init__()
        assert config.vocab_size is not None
        assert config.block_size is not None
        self.config = config

        self.transformer = TransformerDict(
            wte = nn.Embedding(config.vocab_size, config.n_embd),
            wpe = nn.Embedding(config.block_size, config.n_embd),
            drop = nn.Dropout(config.dropout),
            h = nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
            ln_f = LayerNorm(config.n_embd, bias=config.bias),
        )
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        # with weight tying when using torch.compile() some warnings get generated:
        # "UserWarning: functional_call was passed multiple values for tied weights.
        # This behavior is deprecated and will be an error in future versions"
        # not 100% sure what this is, so far seems to be harmless. TODO investigate
        self.transformer.wte.weight = self.lm_head.weight # https://paperswithcode.com/method/weight-tying

        # init all weights
        self.apply(self._init_weights)
        # apply special scaled init to the residual projections, per GPT-2 paper
        for pn, p in self.named_parameters():
            if pn.endswith('c_proj.weight'):
                mu.nn.init.normal_(p, mean=0.0, std=0.02/math.sqrt(2 * config.n_layer))

        # report number of parameters
        print(f"number of parameters: {self.get_num_params()/1e6:.2f}M")

    def get_num_params(self, non_embedding: bool = True) -> int:
        """
        Return the number of parameters in the model.
        For non-embedding count (default), the position embeddings get subtracted.
        The token embeddings would too, except due to the parameter sharing these
        params are actually used as weights in the final layer, so we include them.
        """
        n_params = sum(p.numel() for p in self.parameters())
        if non_embedding:
            n_params -= self.transformer.wpe.weight.numel()
        return n_params

    def _init_weights(self, module: nn.Module) -> None:
        match module:
            case nn.Linear():
                mu.nn.init.normal_(module.weight, mean=0.0, std=0.02)
                if module.bias is not None:
                    mu.nn.init.zeros_(module.bias)
            case nn.Embedding():
                mu.nn.init.normal_(module.weight, mean=0.0, std=0.02)
            case _:
                pass # LayerNorm keeps its ones and zeros

    @overload
    def forward(self, idx: mu.Constant[Batch, Time], targets: mu.Constant[Batch, Time]
                ) -> tuple[mu.Variable[Batch, Time, Vocab], mu.Variable[*tuple[()]]]: ...
    @overload
    def forward(self, idx: mu.Constant[Batch, Time], targets: None = None
                ) -> tuple[mu.Variable[Batch, Literal[1], Vocab], None]: ...

    def forward(self, idx: mu.Constant[Batch, Time],
                targets: mu.Constant[Batch, Time] | None = None
                ) -> tuple[mu.Variable[Batch, Any, Vocab], mu.Variable[*tuple[()]] | None]:
        """The logits of the token after each position and, given the ``targets``, the mean
        cross-entropy loss; without them, only the last position's logits (time axis 1)."""
        device = idx.device
        _, t = idx.size()
        assert t <= self.config.block_size, (f"Cannot forward sequence of length {t}, "
                                             f"block size is only {self.config.block_size}")
        pos = mu.arange(0, t, dtype=mu.long, device=device) # shape (t)

        # forward the GPT model itself
        tok_emb = self.transformer.wte(idx) # token embeddings of shape (b, t, n_embd)
        pos_emb = self.transformer.wpe(pos) # position embeddings of shape (t, n_embd)
        x = self.transformer.drop(tok_emb + pos_emb)
        for block in self.transformer.h:
            x = block(x)
        x = self.transformer.ln_f(x)

        logits: mu.Variable[Batch, Any, Vocab]
        loss: mu.Variable[*tuple[()]] | None
        if targets is not None:
            # if we are given some desired targets also calculate the loss
            logits = self.lm_head(x)
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1),
                                   ignore_index=-1)
        else:
            # inference-time mini-optimization: only forward the lm_head on the very last position
            logits = self.lm_head(x[:, [-1], :]) # note: using list [-1] to preserve the time dim
            loss = None

        return logits, loss

    def crop_block_size(self, block_size: int) -> None:
        """Keep the position embeddings of the first ``block_size`` positions only."""
        # model surgery to decrease the block size if necessary
        # e.g. we may load the GPT2 pretrained model checkpoint (block size 1024)
        # but want to use a smaller block size for some smaller, simpler model
        assert block_size <= self.config.block_size
        self.config.block_size = block_size
        self.transformer.wpe.weight = nn.Parameter(self.transformer.wpe.weight[:block_size])

    def configure_optimizers(self, weight_decay: float, learning_rate: float,
                             betas: tuple[float, float], device_type: str) -> mu.optim.AdamW:
        """AdamW with ``weight_decay`` on the 2-D parameters (matrices and embeddings) only."""
        # start with all of the candidate parameters
        param_dict = {pn: p for pn, p in self.named_parameters()}
        # filter out those that do not require grad
        param_dict = {pn: p for pn, p in param_dict.items() if p.requires_grad}
        # create optim groups. Any parameters that is 2D will be weight decayed, otherwise no.
        # i.e. all weight tensors in matmuls + embeddings decay, all biases and layernorms don't.
        decay_params = [p for _, p in param_dict.items() if p.dim() >= 2]
        nodecay_params = [p for _, p in param_dict.items() if p.dim() < 2]
        optim_groups = [
            {'params': decay_params, 'weight_decay': weight_decay},
            {'params': nodecay_params, 'weight_decay': 0.0}
        ]
        num_decay_params = sum(p.numel() for p in decay_params)
        num_nodecay_params = sum(p.numel() for p in nodecay_params)
        print(f"num decayed parameter tensors: {len(decay_params)}, "
              f"with {num_decay_params:,} parameters")
        print(f"num non-decayed parameter tensors: {len(nodecay_params)}, "
              f"with {num_nodecay_params:,} parameters")
        # Create AdamW optimizer and use the fused version if it is available
        fused_available = 'fused' in inspect.signature(mu.optim.AdamW).parameters
        use_fused = fused_available and device_type == 'cuda'
        extra_args: dict[str, bool] = dict(fused=True) if use_fused else dict()
        optimizer = mu.optim.AdamW(optim_groups, lr=learning_rate, betas=betas, **extra_args)
        print(f"using fused AdamW: {use_fused}")

        return optimizer

    def estimate_mfu(self, fwdbwd_per_iter: int, dt: float) -> float:
        """ estimate model flops utilization (MFU) in units of A100 bfloat16 peak FLOPS """
        # first estimate the number of flops we do per iteration.
        # see PaLM paper Appendix B as ref: https://arxiv.org/abs/2204.02311
        N = self.get_num_params()
        cfg = self.config
        L, H, Q, T = cfg.n_layer, cfg.n_head, cfg.n_embd//cfg.n_head, cfg.block_size
        flops_per_token = 6*N + 12*L*H*Q*T
        flops_per_fwdbwd = flops_per_token * T
        flops_per_iter = flops_per_fwdbwd * fwdbwd_per_iter
        # express our flops throughput as ratio of A100 bfloat16 peak flops
        flops_achieved = flops_per_iter * (1.0/dt) # per second
        flops_promised = 312e12 # A100 GPU bfloat16 peak flops is 312 TFLOPS
        mfu = flops_achieved / flops_promised
        return mfu

    @mu.no_grad()
    def generate(self, idx: mu.Constant[Batch, Any], max_new_tokens: int, temperature: float = 1.0,
                 top_k: int | None = None) -> mu.Constant[Batch, Any]:
        """
        Take a conditioning sequence of indices idx (LongTensor of shape (b,t)) and complete
        the sequence max_new_tokens times, feeding the predictions back into the model each time.
        Most likely you'll want to make sure to be in model.eval() mode of operation for this.
        """
        for _ in range(max_new_tokens):
            # if the sequence context is growing too long we must crop it at block_size
            idx_cond = (idx if idx.size(1) <= self.config.block_size
                        else idx[:, -self.config.block_size:])
            # forward the model to get the logits for the index in the sequence
            logits, _ = self(idx_cond)
            # pluck the logits at the final step and scale by desired temperature
            logits = logits[:, -1, :] / temperature
            # optionally crop the logits to only the top k options
            if top_k is not None:
                v, _ = mu.topk(logits, min(top_k, logits.size(-1)))
                logits[logits < v[:, [-1]]] = -float('Inf')
            # apply softmax to convert logits to (normalized) probabilities
            probs = F.softmax(logits, dim=-1)
            # sample from the distribution
            idx_next = mu.multinomial(probs, num_samples=1)
            # append sampled index to the running sequence and continue
            idx = mu.cat((idx, idx_next), dim=1)

        return idx


# -----------------------------------------------------------------------------
# data: data/shakespeare_char/prepare.py on the Python documentation

Tokens = np.ndarray[tuple[int], np.dtype[np.uint16]]
"""A text encoded as character indices."""


def prepare(data: str) -> tuple[Tokens, Tokens, list[str]]:
    """The first 90% of ``data`` and the rest encoded as indices into the sorted list of its
    characters, and that list."""
    chars = sorted(list(set(data)))
    stoi = { ch:i for i,ch in enumerate(chars) }
    def encode(s: str) -> list[int]:
        return [stoi[c] for c in s] # encoder: take a string, output a list of integers
    n = len(data)
    train_data = data[:int(n*0.9)]
    val_data = data[int(n*0.9):]
    train_ids = np.array(encode(train_data), dtype=np.uint16)
    val_ids = np.array(encode(val_data), dtype=np.uint16)
    return train_ids, val_ids, chars


def get_batch(data: Tokens, block_size: int, batch_size: int, rng: np.random.Generator,
              device: str) -> tuple[mu.Constant[int, int], mu.Constant[int, int]]:
    """``batch_size`` random blocks of ``block_size`` tokens and the blocks one token later."""
    ix = rng.integers(len(data) - block_size, size=(batch_size,))
    x: mu.Constant[int, int] = mu.stack(
        [mu.from_numpy((data[i:i+block_size]).astype(np.int64)) for i in ix])
    y: mu.Constant[int, int] = mu.stack(
        [mu.from_numpy((data[i+1:i+1+block_size]).astype(np.int64)) for i in ix])
    x, y = x.to(device), y.to(device)
    return x, y


# -----------------------------------------------------------------------------
# training: train.py

def get_lr(it: int, learning_rate: float, warmup_iters: int, lr_decay_iters: int,
           min_lr: float) -> float:
    """The learning rate of iteration ``it``: cosine decay with linear warmup."""
    # 1) linear warmup for warmup_iters steps
    if it < warmup_iters:
        return learning_rate * (it + 1) / (warmup_iters + 1)
    # 2) if it > lr_decay_iters, return min learning rate
    if it > lr_decay_iters:
        return min_lr
    # 3) in between, use cosine decay down to min learning rate
    decay_ratio = (it - warmup_iters) / (lr_decay_iters - warmup_iters)
    assert 0 <= decay_ratio <= 1
    coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio)) # coeff ranges 0..1
    return min_lr + coeff * (learning_rate - min_lr)


@mu.no_grad()
def estimate_loss(model: GPT[int, int], splits: dict[str, Tokens], args: argparse.Namespace,
                  rng: np.random.Generator) -> dict[str, float]:
    """The mean loss of ``args.eval_iters`` random batches of each split."""
    eval_iters: int = args.eval_iters
    out: dict[str, float] = {}
    model.eval()
    for split, data in splits.items():
        losses = mu.zeros(eval_iters)
        for k in range(eval_iters):
            X, Y = get_batch(data, args.block_size, args.batch_size, rng, args.device)
            _, loss = model(X, Y)
            losses[k] = loss.item()
        out[split] = losses.mean().item()
    model.train()
    return out


def main() -> None:
    """Train on the Python documentation, report the validation loss and sample text."""
    start = time.perf_counter()
    parser = argparse.ArgumentParser(description='nanoGPT, character level, on the Python docs')
    add = parser.add_argument
    add('--batch-size', type=int, default=16)
    add('--block-size', type=int, default=64, help='context of up to this many characters')
    add('--n-layer', type=int, default=4)
    add('--n-head', type=int, default=4)
    add('--n-embd', type=int, default=128)
    add('--dropout', type=float, default=0.0)
    add('--bias', action=argparse.BooleanOptionalAction, default=False)
    add('--learning-rate', type=float, default=3e-3)
    add('--max-iters', type=int, default=300)
    add('--weight-decay', type=float, default=1e-1)
    add('--beta1', type=float, default=0.9)
    add('--beta2', type=float, default=0.99)
    add('--grad-clip', type=float, default=1.0, help='clip gradients at this norm, or 0')
    add('--warmup-iters', type=int, default=30)
    add('--lr-decay-iters', type=int, default=None, help='(default: --max-iters)')
    add('--min-lr', type=float, default=3e-4, help='learning_rate / 10 usually')
    add('--eval-interval', type=int, default=100)
    add('--eval-iters', type=int, default=20)
    add('--num-samples', type=int, default=1)
    add('--max-new-tokens', type=int, default=300)
    add('--temperature', type=float, default=0.8)
    add('--top-k', type=int, default=200, help='sample from the k most likely tokens')
    add('--seed', type=int, default=1337)
    add('--device', default='cuda' if mu.cuda.is_available() else 'cpu')
    args = parser.parse_args()
    if args.lr_decay_iters is None:
        args.lr_decay_iters = args.max_iters

    mu.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    device_type = 'cuda' if 'cuda' in args.device else 'cpu'
    train_data, val_data, chars = prepare(python_docs_text())
    splits = {'train': train_data, 'val': val_data}
    print(f"vocab size: {len(chars)}, train has {len(train_data):,} tokens, "
          f"val has {len(val_data):,} tokens")

    config = GPTConfig(block_size=args.block_size, vocab_size=len(chars),
                       n_layer=args.n_layer, n_head=args.n_head, n_embd=args.n_embd,
                       dropout=args.dropout, bias=args.bias)
    model = GPT(config)
    model.to(args.device)
    optimizer = model.configure_optimizers(args.weight_decay, args.learning_rate,
                                           (args.beta1, args.beta2), device_type)

    losses = estimate_loss(model, splits, args, rng)
    print(f"step 0: train loss {losses['train']:.4f}, val loss {losses['val']:.4f}")
    bar = tqdm(range(args.max_iters), unit='iter')
    for iter_num in bar:
        # determine and set the learning rate for this iteration
        lr = get_lr(iter_num, args.learning_rate, args.warmup_iters, args.lr_decay_iters,
                    args.min_lr)
        for param_group in optimizer.param_groups:
            param_group['lr'] = lr

        X, Y = get_batch(train_data, args.block_size, args.batch_size, rng, args.device)
        _, loss = model(X, Y)
        loss.backward()
        # clip the gradient
        if args.grad_clip != 0.0:
            mu.nn.utils.clip_grad_norm_(model.parameters(), args.grad_clip)
        optimizer.step()
        # flush the gradients as soon as we can, no need for this memory anymore
        optimizer.zero_grad()
        bar.set_description(f"loss {loss.item():.4f}, lr {lr:.2e}")

        if (iter_num + 1) % args.eval_interval == 0 or iter_num + 1 == args.max_iters:
            losses = estimate_loss(model, splits, args, rng)
            tqdm.write(f"step {iter_num + 1}: train loss {losses['train']:.4f}, "
                       f"val loss {losses['val']:.4f}")

    # sample.py
    model.eval()
    itos = { i:ch for i,ch in enumerate(chars) }
    def decode(ids: list[int]) -> str:
        return ''.join([itos[i] for i in ids]) # decoder: take a list of integers, output a string
    x = mu.tensor([chars.index('\n')], dtype=mu.long, device=args.device)[None, ...]
    for _ in range(args.num_samples):
        y = model.generate(x, args.max_new_tokens, temperature=args.temperature, top_k=args.top_k)
        print(decode(y[0].tolist()))
        print('---------------')

    print(f"result: val loss {losses['val']:.4f}")
    print(f"time: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
