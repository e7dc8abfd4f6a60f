"""examples/word_language_model.py against its PyTorch twin: the corpus and batches are the
same; the LSTM, GRU and Transformer models from the same weights, trained on the same batches
with clipped gradient descent (dropout off, float64), give the same losses and validation
loss; and the program runs end to end."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from twin import EXAMPLES, copy_weights, load  # noqa: E402

SMALL = ["--emsize", "16", "--nhid", "16", "--nlayers", "2", "--bptt", "8", "--batch_size", "4",
         "--dropout", "0", "--max-batches", "5", "--log-interval", "2", "--nhead", "2"]


def test_corpus_and_batches_match():
    mt, mm = load("word_language_model", "torch"), load("word_language_model")
    corpus_t, corpus_m = mt.python_docs_corpus(), mm.python_docs_corpus()
    assert corpus_m.dictionary.idx2word == corpus_t.dictionary.idx2word
    assert len(corpus_m.dictionary) > 5000
    for split in ("train", "valid", "test"):
        np.testing.assert_array_equal(getattr(corpus_m, split).numpy(),
                                      getattr(corpus_t, split).numpy())
    batches_t = mt.batchify(corpus_t.valid, 10, "cpu")
    batches_m = mm.batchify(corpus_m.valid, 10, "cpu")
    np.testing.assert_array_equal(batches_m.numpy(), batches_t.numpy())
    for i in (0, 35, len(batches_t) - 3):
        for ours, theirs in zip(mm.get_batch(batches_m, i, 35), mt.get_batch(batches_t, i, 35),
                                strict=True):
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("model", ["LSTM", "GRU", "Transformer"])
def test_training_matches_pytorch(model, capsys):
    mt, mm = load("word_language_model", "torch"), load("word_language_model")
    corpus_t, corpus_m = mt.python_docs_corpus(), mm.python_docs_corpus()
    args_t = mt.parse_args(["--model", model, *SMALL])
    args_m = mm.parse_args(["--model", model, *SMALL])
    ntokens = len(corpus_t.dictionary)
    torch.manual_seed(0)
    model_t = mt.build_model(args_t, ntokens, "cpu")
    model_m = mm.build_model(args_m, ntokens, "cpu")
    copy_weights(model_t, model_m)
    # float64: plain gradient descent at rate 20 amplifies float32 rounding from step to step.
    model_t.double()
    model_m.double()
    for net in (model_t, model_m):  # nn.Transformer's own dropout (0.1) is not --dropout's
        for module in net.modules():
            if type(module).__name__ == "Dropout":
                module.p = 0.0
            if isinstance(getattr(module, "dropout", None), float):
                module.dropout = 0.0
    results = []
    for module, args, corpus, net in ((mt, args_t, corpus_t, model_t),
                                      (mm, args_m, corpus_m, model_m)):
        train_data = module.batchify(corpus.train, args.batch_size, "cpu")
        val_data = module.batchify(corpus.valid[:2000], 10, "cpu")
        criterion = module.nn.NLLLoss()
        optimizer = module.optim.SGD(net.parameters(), lr=args.lr)
        losses = module.train(args, net, criterion, optimizer, ntokens, train_data, 1, args.lr)
        results.append((losses, module.evaluate(args, net, criterion, ntokens, val_data)))
    capsys.readouterr()
    (losses_t, val_t), (losses_m, val_m) = results
    assert len(losses_m) == len(losses_t) == 5
    np.testing.assert_allclose(losses_m, losses_t, rtol=1e-9)
    assert val_m == pytest.approx(val_t, rel=1e-9)


@pytest.mark.slow
def test_program_runs_end_to_end():
    run = subprocess.run([sys.executable, str(EXAMPLES / "word_language_model.py"), "--epochs",
                          "1", *SMALL], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert re.search(r"^\| end of epoch   1 \| time: +[0-9.]+s \| valid loss +[0-9.]+ \| "
                     r"valid ppl +[0-9.]+$", run.stdout, re.M)
    assert re.search(r"^result: test ppl [0-9.]+$", run.stdout, re.M)
    assert re.search(r"^time: [0-9.]+ s$", run.stdout, re.M)
