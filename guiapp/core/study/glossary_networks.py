"""The glossary's terms on networks and training, in plain words for biologists.

Pure data; :mod:`guiapp.core.study.glossary` gathers every part into ``TERMS`` and links the
pages' words to them.
"""

from __future__ import annotations

from guiapp.core.study import glossary_pictures as pic
from guiapp.core.study.glossary_term import Term

NETWORK_TERMS = (
    # Networks and training
    Term(
        "layer",
        "Layer",
        "A network is a stack of layers. Each layer takes numbers in, mixes them with its own "
        "weights and passes new numbers on. The first takes your features; the last gives the prediction.",
        "More and wider layers can learn more, but also memorise more: start with few.",
        ("layers", "hidden layer", "hidden layers", "depth"),
        pic.layers,
        ("parameters", "mlp"),
    ),
    Term(
        "unit",
        "Unit (neuron)",
        "One number-making element of a layer: it adds up its inputs, each times a weight, "
        "and passes the sum through an activation. A layer's width is its number of units.",
        "Width times depth sets how many parameters the network has.",
        ("units", "neuron", "neurons", "width"),
    ),
    Term(
        "activation",
        "Activation",
        "A simple bend applied after each layer, such as ReLU (negative numbers become "
        "0). Without it, a stack of layers would be no more than one straight-line model.",
        "It is what lets a network learn curved, non-linear relationships.",
        ("activation function", "relu"),
        pic.activation,
    ),
    Term(
        "parameters",
        "Parameters (weights)",
        "The numbers a network learns from data: the weights of all its "
        "layers. Training adjusts them, step by step, to lower the loss.",
        "A network with far more parameters than training samples can memorise the samples instead of learning.",
        ("parameter", "weights", "trainable parameters"),
        None,
        ("layer", "overfitting"),
    ),
    Term(
        "loss",
        "Loss",
        "One number saying how wrong the network's predictions are on a set of samples (for "
        "classes, usually cross-entropy). Training tries to make it small.",
        "Watching the loss on the training and tune splits shows whether the network learns or memorises.",
        ("loss function", "cross-entropy", "tune loss"),
        pic.loss_curve,
        ("epoch", "overfitting"),
    ),
    Term(
        "epoch",
        "Epoch",
        "One pass of training over every sample of the training split. Training runs for "
        "many epochs; after each, Tenfold scores the tune split.",
        "Too few epochs and the network has not learned; too many and it starts memorising.",
        ("epochs", "maximum epochs"),
        pic.loss_curve,
        ("early-stopping",),
    ),
    Term(
        "batch-size",
        "Batch size",
        "How many samples the network looks at before each small update of its "
        "weights. Not to be confused with a batch effect.",
        "Smaller batches give noisier but often better-generalising training; larger ones need more memory.",
        ("batch sizes",),
        None,
        ("batch-effect",),
    ),
    Term(
        "learning-rate",
        "Learning rate",
        "How big a step the network takes each time it updates its weights. "
        "Too small and training crawls; too large and it overshoots and never settles.",
        "Usually the single most important setting to tune.",
        ("learning rates", "lr"),
        pic.learning_rate,
        ("hyperparameter",),
    ),
    Term(
        "optimizer",
        "Optimizer",
        "The rule that turns the loss into weight updates (SGD, Adam, AdamW).",
        "Different optimizers reach different solutions; Tenfold records which one was used.",
        ("optimiser", "adam", "adamw", "sgd"),
    ),
    Term(
        "weight-decay",
        "Weight decay",
        "A small pull of every weight towards zero at each update, so no weight "
        "grows large without good reason. A kind of regularisation.",
        "It makes the network prefer simpler explanations of the data.",
        (),
        None,
        ("regularisation",),
    ),
    Term(
        "regularisation",
        "Regularisation",
        "Anything that keeps a model from fitting the training samples too "
        "closely: dropout, weight decay, early stopping, a smaller network, more data.",
        "It trades a little training score for a better score on new samples.",
        ("regularization", "regularise", "regularize"),
        None,
        ("overfitting", "dropout", "weight-decay"),
    ),
    Term(
        "dropout",
        "Dropout",
        "During training, a random share of units is switched off at every step, so the "
        "network cannot rely on any single unit. At prediction time all units are on.",
        "A simple, effective guard against memorising the training samples.",
        (),
        pic.dropout,
        ("regularisation",),
    ),
    Term(
        "early-stopping",
        "Early stopping",
        "Training stops when the tune loss has not improved for a number of "
        "epochs (the patience), and the best weights so far are kept.",
        "It stops the network at the point before it starts memorising.",
        ("patience",),
        pic.overfitting,
    ),
    Term(
        "overfitting",
        "Overfitting",
        "The network learns its training samples, noise included, instead of what "
        "holds in general. Training scores keep improving while tune scores stall or get worse.",
        "An overfitted model looks good in the lab and fails on new samples. Deep networks overfit easily (Tip 7).",
        ("overfit", "overfits", "memorise", "memorises", "memorising"),
        pic.overfitting,
        ("regularisation", "learning-curve"),
    ),
    Term(
        "hyperparameter",
        "Hyperparameter",
        "A setting chosen before training rather than learned: learning rate, "
        "width, depth, dropout, batch size. A search tries several and keeps the best on the tune split.",
        "Results depend on them a lot; tune them systematically and give the baselines the same budget (Tip 6).",
        ("hyperparameters", "hyperparameter search", "trial", "trials"),
        None,
        ("learning-rate",),
    ),
    Term(
        "seed",
        "Seed",
        "The starting number of the random number generator that shuffles samples and sets the "
        "first weights. The same seed gives the same random choices.",
        "Recording it, with deterministic algorithms, lets anyone rerun the study and get your numbers.",
        ("seeds", "random seed", "deterministic"),
    ),
    Term(
        "checkpoint",
        "Checkpoint",
        "A copy of the network's weights saved during training, so an interrupted "
        "run can resume and the best epoch's weights are kept.",
        "Nothing is lost when the computer stops.",
        ("checkpoints",),
    ),
    Term(
        "mlp",
        "Multilayer perceptron (MLP)",
        "The plain network for tables: layers in which every unit looks at all features of the layer before.",
        "The right first choice when features have no order or neighbourhood.",
        ("multilayer perceptron", "MLP"),
        pic.layers,
        ("cnn",),
    ),
    Term(
        "cnn",
        "Convolutional network (CNN)",
        "A network that slides small pattern detectors along a sequence or "
        "across an image, so a motif is found wherever it occurs.",
        "Suits DNA, protein sequences and images; it needs far fewer parameters than an MLP there.",
        ("convolution", "convolutions", "convolutional", "CNN", "1D-CNN", "2D-CNN"),
    ),
    Term(
        "transfer-learning",
        "Transfer learning",
        "Starting from a network already trained on other, usually larger, data and training it further on yours.",
        "It helps most when you have few samples.",
        ("pretrained", "transfer"),
    ),
)
