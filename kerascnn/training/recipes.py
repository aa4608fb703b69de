"""Compile recipes: the default optimizer, schedule and augmentation for training from scratch."""

import dataclasses

import keras


@dataclasses.dataclass(frozen=True)
class Recipe:
    """Optimizer and schedule settings of a training run.

    The learning rate warms up linearly from 0 for ``warmup_epochs`` (at most a tenth of the
    run, so that short runs still train), then follows a cosine decay to 0 at the last step.
    """

    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    warmup_epochs: int = 2


DEFAULT_RECIPE = Recipe()

# Peak learning rates per model family, chosen on the bundled digits (32 px, batch 32, 30 epochs
# from scratch, see docs/training.md). The batch-normalized MobileNets need 5e-3 to fit in 30
# epochs; SqueezeNet has no batch normalization and diverges or stalls above about 1e-3.
FAMILY_RECIPES = {
    "squeezenet": Recipe(learning_rate=1e-3),
    "mobilenet": Recipe(learning_rate=5e-3),
}


def recipe_for(model_name):
    """Return the recipe of the family of the registered model ``model_name``."""
    from kerascnn.models import registry

    return FAMILY_RECIPES.get(registry.entry(model_name).family, DEFAULT_RECIPE)


def make_optimizer(recipe, steps_per_epoch, epochs):
    """Return the AdamW optimizer with warmup and cosine decay for ``epochs * steps_per_epoch`` steps."""
    total_steps = max(1, steps_per_epoch * epochs)
    warmup_steps = min(total_steps // 10, steps_per_epoch * recipe.warmup_epochs)
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0,
        decay_steps=max(1, total_steps - warmup_steps),
        warmup_target=recipe.learning_rate,
        warmup_steps=warmup_steps,
    )
    return keras.optimizers.AdamW(learning_rate=schedule, weight_decay=recipe.weight_decay)


def compile_model(model, steps_per_epoch, epochs, recipe=DEFAULT_RECIPE):
    """Compile ``model`` for integer labels with the recipe's optimizer, loss and accuracy metric."""
    model.compile(
        optimizer=make_optimizer(recipe, steps_per_epoch, epochs),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=["accuracy"],
    )
    return model


def make_augmentation(seed=None):
    """Return the default training-time augmentation: random shifts of up to 8% of the side.

    Shifts fill with zeros, the background of the bundled digits. Rotation and zoom on top of
    them cost MobileNet (alpha 0.25) 1.4 points of digits validation accuracy in a 30-epoch
    run, so they are not part of the default.
    """
    return keras.Sequential(
        [keras.layers.RandomTranslation(0.08, 0.08, fill_mode="constant", seed=seed)],
        name="augmentation",
    )
