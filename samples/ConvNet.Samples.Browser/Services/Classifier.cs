using System;
using System.Diagnostics;
using System.Numerics.Tensors;
using ConvNet.Samples.Browser.Data;

namespace ConvNet.Samples.Browser.Services;

/// <summary>
/// Runs a LeNet-5 on one image: <see cref="Network.Predict(ReadOnlySpan{float})"/> for the class and probabilities, and
/// the first layer (C1) on its own for the feature maps. One thread: the network's parallelism is set to 1.
/// </summary>
public sealed class Classifier
{
    /// <summary>Wraps a network whose first layer is C1.</summary>
    /// <param name="network">A LeNet-5 (1×28×28 in, 10 logits out).</param>
    /// <param name="description">Where the network came from, for the page.</param>
    public Classifier(Network network, string description)
    {
        ArgumentNullException.ThrowIfNull(network);
        network.DegreeOfParallelism = 1;
        Network = network;
        Description = description;
    }

    /// <summary>The network.</summary>
    public Network Network { get; }

    /// <summary>Where the network came from.</summary>
    public string Description { get; }

    /// <summary>The class of one image, from 0–255 pixel bytes.</summary>
    /// <param name="pixels">28·28 bytes.</param>
    /// <returns>The arg-max class.</returns>
    public int PredictClass(ReadOnlySpan<byte> pixels) => TensorPrimitives.IndexOfMax(Network.Predict(ImageSet.Scale(pixels)));

    /// <summary>Classifies one image and computes C1's feature maps.</summary>
    /// <param name="pixels">28·28 bytes, 0–255, white garment on black as in Fashion-MNIST.</param>
    /// <returns>The prediction.</returns>
    public Prediction Classify(ReadOnlySpan<byte> pixels)
    {
        float[] x = ImageSet.Scale(pixels);
        var clock = Stopwatch.StartNew();
        float[] logits = Network.Predict(x);
        double ms = clock.Elapsed.TotalMilliseconds;
        var probabilities = new float[logits.Length];
        TensorPrimitives.SoftMax(logits, probabilities);

        int[] shape = [1, .. Network.InputShape];
        var c1 = Network.Layers[0].Forward(Tensor.FromData(x, shape));
        int maps = c1.Dim(1), rows = c1.Dim(2), cols = c1.Dim(3), size = rows * cols;
        var images = new byte[maps][];
        for (int m = 0; m < maps; m++)
        {
            images[m] = ToBytes(c1.AsSpan().Slice(m * size, size));
        }

        return new Prediction(TensorPrimitives.IndexOfMax(logits), probabilities, images, rows, cols, ms);
    }

    private static byte[] ToBytes(ReadOnlySpan<float> map)
    {
        float min = TensorPrimitives.Min(map), max = TensorPrimitives.Max(map);
        float scale = max > min ? 255f / (max - min) : 0f;
        var bytes = new byte[map.Length];
        for (int i = 0; i < map.Length; i++)
        {
            bytes[i] = (byte)Math.Clamp(MathF.Round((map[i] - min) * scale), 0f, 255f);
        }

        return bytes;
    }
}
