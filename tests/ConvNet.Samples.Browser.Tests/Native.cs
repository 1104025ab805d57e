using System;
using System.Diagnostics;
using System.IO;
using System.Numerics.Tensors;
using ConvNet.Losses;
using ConvNet.Optimizers;
using ConvNet.Samples.Browser.Data;
using ConvNet.Serialization;
using ConvNet.Training;

namespace ConvNet.Samples.Browser.Tests;

/// <summary>The same model and images as the page, run natively (the reference the browser must match).</summary>
public static class Native
{
    /// <summary>The served model.</summary>
    /// <param name="wwwroot">The published folder.</param>
    /// <returns>The network.</returns>
    public static Network Model(string wwwroot)
    {
        using var file = File.OpenRead(Path.Combine(wwwroot, "data", "lenet5.safetensors"));
        return ModelSerializer.LoadCheckpoint(file).Network;
    }

    /// <summary>A served image set.</summary>
    /// <param name="wwwroot">The published folder.</param>
    /// <param name="name">test or train.</param>
    /// <returns>The images.</returns>
    public static ImageSet Images(string wwwroot, string name) => ImageSet.Read(File.ReadAllBytes(Path.Combine(wwwroot, "data", name + ".cnis")));

    /// <summary>The class of one image, as the page computes it (Predict on value / 255).</summary>
    /// <param name="network">The network.</param>
    /// <param name="images">The images.</param>
    /// <param name="index">Which.</param>
    /// <returns>The arg-max class.</returns>
    public static int Classify(Network network, ImageSet images, int index) => TensorPrimitives.IndexOfMax(network.Predict(images.Sample(index)));

    /// <summary>
    /// Median batch-1 Predict time, in ms, timed as the page does (100 runs), after 2,000 warm-up runs so the JIT's
    /// tiered (optimized) code is what is timed.
    /// </summary>
    /// <param name="network">The network.</param>
    /// <param name="pixels">The image.</param>
    /// <param name="threads">The network's parallelism.</param>
    /// <returns>The median.</returns>
    public static double MedianLatencyMs(Network network, ReadOnlySpan<byte> pixels, int threads)
    {
        network.DegreeOfParallelism = threads;
        const int Warmup = 2000;
        var times = new double[100];
        for (int i = 0; i < Warmup + times.Length; i++)
        {
            var clock = Stopwatch.StartNew();
            TensorPrimitives.IndexOfMax(network.Predict(ImageSet.Scale(pixels)));
            if (i >= Warmup)
            {
                times[i - Warmup] = clock.Elapsed.TotalMilliseconds;
            }
        }

        Array.Sort(times);
        return times[50];
    }

    /// <summary>
    /// Training img/s of the page's setup (fresh LeNet-5, batch 32, SGD), natively: the third of three epochs, so JIT
    /// warm-up is not in the figure.
    /// </summary>
    /// <param name="images">The training images.</param>
    /// <param name="count">How many of them.</param>
    /// <param name="threads">Degree of parallelism.</param>
    /// <returns>Images per second.</returns>
    public static double TrainingImagesPerSecond(ImageSet images, int count, int threads)
    {
        var data = images.ToDataset().Subset(0, count);
        var trainer = new Trainer(ConvNet.Models.LeNet5.Modern(1), new SoftmaxCrossEntropy(), new Sgd(0.05, momentum: 0.9, weightDecay: 5e-4),
            new TrainingOptions { Epochs = 3, BatchSize = 32, Seed = 1, DegreeOfParallelism = threads });
        return trainer.Fit(data).Epochs[^1].SamplesPerSecond;
    }
}
