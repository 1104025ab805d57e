using System;
using System.Linq;
using ConvNet.Data;
using ConvNet.Layers;

namespace ConvNet.Core.Tests.Training;

/// <summary>A small dense network and synthetic data: training steps take microseconds and are fully deterministic.</summary>
internal static class Tiny
{
    public const int Inputs = 4;

    public const int Classes = 3;

    /// <summary>ReLU, then a Sequential(FullyConnected, ReLU) container, then FullyConnected: layer 1.0 is nested.</summary>
    public static Network Net(int seed = 1)
    {
        var net = new Network(Inputs)
            .Add(new ReLU())
            .Add(new Sequential(new FullyConnected(Inputs, 8), new ReLU()))
            .Add(new FullyConnected(8, Classes));
        net.Initialize(seed);
        net.DegreeOfParallelism = 1;
        return net;
    }

    /// <summary><paramref name="count"/> samples with values in [0, scale), labels cycling through the classes.</summary>
    public static Dataset Data(int count, float scale = 1f, int seed = 7)
    {
        var rng = new Random(seed);
        var x = new float[count * Inputs];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)rng.NextDouble() * scale;
        }

        return new Dataset(x, Enumerable.Range(0, count).Select(i => i % Classes).ToArray(), [Inputs], Classes);
    }

    public static float[][] Weights(Network net) => net.Parameters.Select(p => p.Value.ToArray()).ToArray();

    public static bool AllFinite(Network net) => net.Parameters.All(p => p.Value.ToArray().All(float.IsFinite));
}
