using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using ConvNet.Layers;
using ConvNet.Models;

namespace ConvNet.Bench;

/// <summary>
/// Where a training step spends its time, layer by layer:
/// <c>dotnet run -c Release --project bench/ConvNet.Bench -- profile resnet20|resnext|lenet [batch] [threads]</c>.
/// Every leaf layer of the model (inside Sequential and Residual blocks too) runs alone at its own shape in training
/// mode on random data: Forward, Backward with δx, and Backward without δx (∂E/∂W only); the best of 3 rounds of 5
/// calls each, after a few whole training steps (so the kernels are JIT-optimized). A BatchNorm → ReLU pair, which the
/// containers fuse, is measured as the fused pair. The sum over the layers is a step without the residual additions
/// (and the ReLUs fused with them), the loss and the optimizer. A stopwatch harness, not BenchmarkDotNet: it reads shares, the benchmarks read speeds.
/// </summary>
public static class LayerProfile
{
    public static void Run(string[] args)
    {
        string model = args.Length > 1 ? args[1] : "resnet20";
        int batch = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : model == "lenet" ? 64 : 128;
        int threads = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 1;
        var net = model switch
        {
            "lenet" => LeNet5.Modern(1),
            "resnext" => ResNet.ResNeXt(1),
            _ => ResNet.ResNet20(1),
        };
        var rows = new List<Row>();
        var random = new Random(1);
        Warm(net, batch, threads, random);
        WalkChain(net.Layers, net.InputShape.ToArray(), batch, threads, random, rows);

        double total = rows.Sum(r => r.Forward + r.Backward);
        Console.WriteLine(FormattableString.Invariant($"{model}, batch {batch}, {threads} thread(s): sum over the layers {total:F2} ms per step = {batch / total * 1000:F0} img/s"));
        Console.WriteLine();
        Console.WriteLine("| layer kind | forward ms | backward ms | share |");
        Console.WriteLine("|---|---:|---:|---:|");
        foreach (var g in rows.GroupBy(r => r.Kind).OrderByDescending(g => g.Sum(r => r.Forward + r.Backward)))
        {
            Console.WriteLine(FormattableString.Invariant($"| {g.Key} | {g.Sum(r => r.Forward):F2} | {g.Sum(r => r.Backward):F2} | {100 * g.Sum(r => r.Forward + r.Backward) / total:F1} % |"));
        }

        Console.WriteLine();
        Console.WriteLine("| layer (input shape) | count | forward ms | backward ms (of which ∂E/∂W only) | share |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        foreach (var g in rows.GroupBy(r => r.Key).OrderByDescending(g => g.Sum(r => r.Forward + r.Backward)))
        {
            Console.WriteLine(FormattableString.Invariant(
                $"| {g.Key} | {g.Count()} | {g.Sum(r => r.Forward):F2} | {g.Sum(r => r.Backward):F2} ({g.Sum(r => r.WeightsOnly):F2}) | {100 * g.Sum(r => r.Forward + r.Backward) / total:F1} % |"));
        }
    }

    private static void Walk(Layer layer, int[] shape, int batch, int threads, Random random, List<Row> rows)
    {
        if (layer is Residual residual)
        {
            Walk(residual.Body, shape, batch, threads, random, rows);
            if (residual.Shortcut is { } shortcut)
            {
                Walk(shortcut, shape, batch, threads, random, rows);
            }

            return;
        }

        if (layer.Children.Count > 0)
        {
            WalkChain(layer.Children, shape, batch, threads, random, rows);
            return;
        }

        Measure(layer, shape, batch, threads, random, rows, fusedReLU: false);
    }

    /// <summary>The layers of a chain; a BatchNorm → ReLU pair, which the containers run fused, is measured as one.</summary>
    private static void WalkChain(IReadOnlyList<Layer> layers, int[] shape, int batch, int threads, Random random, List<Row> rows)
    {
        for (int i = 0; i < layers.Count; i++)
        {
            if (Layer.FusesWithNext(layers, i) && layers[i].Children.Count > 0)
            {
                // A residual block with the ReLU after it (fused with its sum, not measured): its layers one by one.
                Walk(layers[i], shape, batch, threads, random, rows);
                shape = layers[i].GetOutputShape(shape);
                i++;
                continue;
            }

            if (Layer.FusesWithNext(layers, i))
            {
                Measure(layers[i], shape, batch, threads, random, rows, fusedReLU: true);
                i++;
            }
            else
            {
                Walk(layers[i], shape, batch, threads, random, rows);
            }

            shape = layers[i].GetOutputShape(shape);
        }
    }

    /// <summary>
    /// Whole training steps first, at least 4 and for at least 3 s, so that every kernel runs JIT-optimized (tier 1)
    /// when measured: a small network's kernels are called only a few times per step, and 4 LeNet-5 steps left them
    /// at tier 0 (the layer sums came out 4× the real step).
    /// </summary>
    private static void Warm(ConvNet.Network net, int batch, int threads, Random random)
    {
        net.DegreeOfParallelism = threads;
        var x = Filled(random, [batch, .. net.InputShape]);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 4 || clock.Elapsed.TotalSeconds < 3; i++)
        {
            var y = net.Forward(x);
            net.Backward(Filled(random, y.Shape.ToArray()));
        }

        System.Threading.Thread.Sleep(1000);
    }

    private static void Measure(Layer layer, int[] shape, int batch, int threads, Random random, List<Row> rows, bool fusedReLU)
    {
        int[] outShape = layer.GetOutputShape(shape);
        var x = Filled(random, [batch, .. shape]);
        var y = new Tensor([batch, .. outShape]);
        var dy = Filled(random, [batch, .. outShape]);
        var dx = new Tensor([batch, .. shape]);
        layer.DegreeOfParallelism = threads;
        layer.SetTraining(true);
        Action forward = fusedReLU ? () => layer.ForwardReLU(x, y) : () => layer.Forward(x, y);
        Action backward = fusedReLU ? () => layer.BackwardReLU(x, y, dy, dx) : () => layer.Backward(x, y, dy, dx);
        Action weightsOnly = fusedReLU ? () => layer.BackwardReLU(x, y, dy, null) : () => layer.Backward(x, y, dy, null);
        for (int i = 0; i < 3; i++)
        {
            forward();
            backward();
        }

        double f = double.MaxValue, b = double.MaxValue, w = double.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            f = Math.Min(f, Time(forward));
            b = Math.Min(b, Time(backward));
            w = Math.Min(w, Time(weightsOnly));
        }

        string kind = fusedReLU ? layer.GetType().Name + " + ReLU (fused)" : layer.GetType().Name;
        string key = layer is ConvolutionND conv
            ? FormattableString.Invariant($"{kind} {shape[0]}→{outShape[0]} k{conv.KernelSize[0]} s{conv.Stride[0]} ({string.Join("×", shape)})")
            : $"{kind} ({string.Join("×", shape)})";
        rows.Add(new Row(kind, key, f, b, w));
    }

    private static double Time(Action action)
    {
        const int Calls = 5;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < Calls; i++)
        {
            action();
        }

        return clock.Elapsed.TotalMilliseconds / Calls;
    }

    private static Tensor Filled(Random random, int[] shape)
    {
        var t = new Tensor(shape);
        var s = t.AsSpan();
        for (int i = 0; i < s.Length; i++)
        {
            s[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return t;
    }

    private sealed record Row(string Kind, string Key, double Forward, double Backward, double WeightsOnly);
}
