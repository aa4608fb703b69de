"""Benchmark kerascnn models against their keras.applications counterparts in one process.

Each pair is timed interleaved (ours, theirs, ours, ...) and reported as a ratio, since the
machines this runs on are shared and absolute times drift. Models without a counterpart are
reported in absolute terms only.

    python tools/benchmark.py --image-size 224 --batch-size 8 --repeats 5

The output is a Markdown table for docs/benchmarks.md.
"""

import argparse
import logging
import os
import platform
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import kerascnn  # noqa: E402

logger = logging.getLogger("benchmark")

# (label, kerascnn builder, keras.applications builder or None)
PAIRS = (
    ("MobileNet alpha 1.0", lambda shape: kerascnn.MobileNet(input_shape=shape),
     lambda shape: keras.applications.MobileNet(input_shape=shape, weights=None)),
    ("MobileNetV2 alpha 1.0", lambda shape: kerascnn.MobileNetV2(input_shape=shape),
     lambda shape: keras.applications.MobileNetV2(input_shape=shape, weights=None)),
    ("SqueezeNet 1.0", lambda shape: kerascnn.SqueezeNet(version="1.0", input_shape=shape), None),
    ("SqueezeNet 1.1", lambda shape: kerascnn.SqueezeNet(version="1.1", input_shape=shape), None),
)


def make_steps(model):
    """Return compiled (inference, train) step functions of ``model``."""
    optimizer = keras.optimizers.SGD(0.01)
    loss_fn = keras.losses.SparseCategoricalCrossentropy()

    @tf.function(jit_compile=False)
    def infer(images):
        return model(images, training=False)

    @tf.function(jit_compile=False)
    def train(images, labels):
        with tf.GradientTape() as tape:
            loss = loss_fn(labels, model(images, training=True))
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply(gradients, model.trainable_variables)
        return loss

    return infer, train


def time_call(function, *args, iterations):
    """Return seconds per call of ``function(*args)``, averaged over ``iterations`` calls."""
    start = time.perf_counter()
    for _ in range(iterations):
        result = function(*args)
    np.asarray(result)  # Wait for the last call's result.
    return (time.perf_counter() - start) / iterations


def benchmark(image_size, batch_size, repeats, iterations):
    """Return one result dict per entry of PAIRS with median seconds per batch."""
    shape = (image_size, image_size, 3)
    rng = np.random.default_rng(0)
    images = tf.constant(rng.random((batch_size,) + shape, dtype=np.float32))
    labels = tf.constant(rng.integers(0, 1000, batch_size))
    results = []
    for label, ours_builder, theirs_builder in PAIRS:
        builders = {"ours": ours_builder, "theirs": theirs_builder}
        steps = {}
        for side, builder in builders.items():
            if builder is None:
                continue
            infer, train = make_steps(builder(shape))
            infer(images), train(images, labels)  # Trace and warm up outside the timing.
            steps[side] = (infer, train)
        times = {side: {"infer": [], "train": []} for side in steps}
        for _ in range(repeats):
            for side, (infer, train) in steps.items():
                times[side]["infer"].append(time_call(infer, images, iterations=iterations))
                times[side]["train"].append(time_call(train, images, labels, iterations=iterations))
        medians = {side: {k: statistics.median(v) for k, v in kinds.items()} for side, kinds in times.items()}
        logger.info("%s: %s", label, medians)
        results.append({"label": label, **medians})
    return results


def format_table(results, batch_size):
    """Return the results as a Markdown table."""
    lines = [
        f"| model | ours: inference ms/batch of {batch_size} | ours: train step ms | "
        "inference ratio ours/keras.applications | train ratio ours/keras.applications |",
        "|---|---|---|---|---|",
    ]
    for result in results:
        ours = result["ours"]
        theirs = result.get("theirs")
        infer_ratio = f"{ours['infer'] / theirs['infer']:.2f}" if theirs else "n/a"
        train_ratio = f"{ours['train'] / theirs['train']:.2f}" if theirs else "n/a"
        lines.append(
            f"| {result['label']} | {ours['infer'] * 1e3:.1f} | {ours['train'] * 1e3:.1f} | {infer_ratio} | {train_ratio} |"
        )
    return "\n".join(lines)


def processor_name():
    """Return the CPU model name from /proc/cpuinfo, or the platform's machine type elsewhere."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image-size", type=int, default=224, help="input side in pixels (default 224)")
    parser.add_argument("--batch-size", type=int, default=8, help="images per batch (default 8)")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved timing rounds; the median is kept (default 5)")
    parser.add_argument("--iterations", type=int, default=5, help="calls per timing (default 5)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    results = benchmark(args.image_size, args.batch_size, args.repeats, args.iterations)
    logger.info(
        "Machine: %s, %d CPU cores, TensorFlow %s, Keras %s",
        processor_name(), os.cpu_count(), tf.__version__, keras.__version__,
    )
    print(format_table(results, args.batch_size))


if __name__ == "__main__":
    main()
