using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using ConvNet.Losses;
using ConvNet.Models;
using ConvNet.Optimizers;
using TorchSharp;
using CTensor = ConvNet.Tensor;
using TT = TorchSharp.torch.Tensor;

namespace ConvNet.Bench.Torch;

/// <summary>
/// Side-by-side throughput of ConvNet and libtorch (TorchSharp-cpu) on the same models, batches and thread count:
/// a plain Stopwatch harness with warm-up, interleaved rounds and medians, printed as a markdown table.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        Options o;
        try
        {
            o = Options.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(Options.Usage);
            return 2;
        }

        if (o.Help)
        {
            Console.WriteLine(Options.Usage);
            return 0;
        }

        string? compat = NativeCompat.EnsureLibTorchSharpLoads();

        // Before any other libtorch op: intra-op threads = the ConvNet degree of parallelism, one inter-op thread.
        torch.set_num_interop_threads(1);
        torch.set_num_threads(o.Threads);
        torch.manual_seed(1);

        Console.WriteLine($"# ConvNet vs libtorch — threads {o.Threads}, rounds {o.Rounds}, warm-up {o.Warmup} it, target {o.TargetMs} ms/sample");
        Console.WriteLine();
        Console.WriteLine($"- .NET {Environment.Version}, {Environment.OSVersion}, {Environment.ProcessorCount} logical cores");
        Console.WriteLine($"- TorchSharp {typeof(torch).Assembly.GetName().Version}, libtorch {torch.__version__}, intra-op threads {torch.get_num_threads()}, inter-op threads {torch.get_num_interop_threads()}");
        if (compat is not null)
        {
            Console.WriteLine($"- note: {compat}");
        }

        Console.WriteLine();

        var cases = new List<Case>();
        foreach (string model in o.Models)
        {
            var pair = new ModelPair(model, o.Threads);
            pair.Verify();
            cases.AddRange(pair.Cases());
        }

        Console.WriteLine();
        foreach (var c in cases)
        {
            c.Calibrate(o.Warmup, o.TargetMs);
        }

        for (int round = 0; round < o.Rounds; round++)
        {
            foreach (var c in cases)
            {
                c.RunRound(round);
            }

            Console.Error.WriteLine($"round {round + 1}/{o.Rounds} done");
        }

        Console.WriteLine($"| Model | Case | Threads | ConvNet img/s | libtorch img/s | ConvNet/libtorch | ConvNet spread | libtorch spread | iters/sample (CN/LT) |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var c in cases)
        {
            double cn = c.ConvNet.MedianImagesPerSecond(c.Batch);
            double lt = c.Torch.MedianImagesPerSecond(c.Batch);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {c.Model} | {c.Name} | {o.Threads} | {cn:F1} | {lt:F1} | {cn / lt:F2} | {c.ConvNet.Spread():P0} | {c.Torch.Spread():P0} | {c.ConvNet.Iterations}/{c.Torch.Iterations} |"));
        }

        Console.WriteLine();
        Console.WriteLine("img/s = batch × iterations / elapsed, median over rounds; spread = (max − min) / median of the per-round times.");
        return 0;
    }
}

/// <summary>Command-line options.</summary>
internal sealed class Options
{
    public const string Usage =
        "usage: ConvNet.Bench.Torch [--model resnet20|lenet|all] [--threads N] [--rounds R] [--warmup W] [--target-ms T]\n" +
        "  --model      model(s) to run (default all)\n" +
        "  --threads    ConvNet DegreeOfParallelism and torch.set_num_threads (default 1)\n" +
        "  --rounds     interleaved timed rounds per case; the median is reported (default 5)\n" +
        "  --warmup     untimed warm-up iterations per engine and case (default 5)\n" +
        "  --target-ms  calibrated duration of one timed sample in milliseconds (default 1000)";

    public string[] Models { get; private set; } = ["resnet20", "lenet"];

    public int Threads { get; private set; } = 1;

    public int Rounds { get; private set; } = 5;

    public int Warmup { get; private set; } = 5;

    public double TargetMs { get; private set; } = 1000;

    public bool Help { get; private set; }

    public static Options Parse(string[] args)
    {
        var o = new Options();
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{a} needs a value.");
            int Int() => int.TryParse(Next(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v > 0 ? v : throw new ArgumentException($"{a} needs a positive integer.");
            switch (a)
            {
                case "--model":
                    string m = Next().ToLowerInvariant();
                    o.Models = m switch
                    {
                        "resnet20" or "resnet" => ["resnet20"],
                        "lenet" or "lenet5" => ["lenet"],
                        "all" => ["resnet20", "lenet"],
                        _ => throw new ArgumentException($"Unknown model '{m}'."),
                    };
                    break;
                case "--threads":
                    o.Threads = Int();
                    break;
                case "--rounds":
                    o.Rounds = Int();
                    break;
                case "--warmup":
                    o.Warmup = Int();
                    break;
                case "--target-ms":
                    o.TargetMs = double.TryParse(Next(), NumberStyles.Float, CultureInfo.InvariantCulture, out double t) && t > 0 ? t : throw new ArgumentException("--target-ms needs a positive number.");
                    break;
                case "-h" or "--help":
                    o.Help = true;
                    break;
                default:
                    throw new ArgumentException($"Unknown argument '{a}'.");
            }
        }

        return o;
    }
}

/// <summary>One engine's side of a case: the work of one iteration, its calibrated count and the timed samples.</summary>
internal sealed class Side(string engine, Action iteration)
{
    private readonly List<double> _seconds = [];

    public string Engine { get; } = engine;

    public int Iterations { get; private set; } = 1;

    public void Calibrate(int warmup, double targetMs)
    {
        var sw = new Stopwatch();
        double best = double.MaxValue;
        for (int i = 0; i < warmup; i++)
        {
            sw.Restart();
            iteration();
            sw.Stop();
            best = Math.Min(best, sw.Elapsed.TotalMilliseconds);
        }

        Iterations = Math.Max(1, (int)Math.Ceiling(targetMs / Math.Max(best, 1e-3)));
    }

    public void Sample()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < Iterations; i++)
        {
            iteration();
        }

        _seconds.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);
    }

    public double MedianImagesPerSecond(int batch) => batch * Iterations / Median(_seconds);

    public double Spread() => _seconds.Count == 0 ? 0 : (_seconds.Max() - _seconds.Min()) / Median(_seconds);

    private static double Median(List<double> v)
    {
        var s = v.OrderBy(x => x).ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[(s.Length / 2) - 1] + s[s.Length / 2]);
    }
}

/// <summary>A measured case (e.g. ResNet-20 train step batch 64) with both engines.</summary>
internal sealed class Case(string model, string name, int batch, Side convNet, Side torch)
{
    public string Model { get; } = model;

    public string Name { get; } = name;

    public int Batch { get; } = batch;

    public Side ConvNet { get; } = convNet;

    public Side Torch { get; } = torch;

    public void Calibrate(int warmup, double targetMs)
    {
        ConvNet.Calibrate(warmup, targetMs);
        Torch.Calibrate(warmup, targetMs);
        Console.Error.WriteLine($"calibrated {Model} {Name}: ConvNet {ConvNet.Iterations} it, libtorch {Torch.Iterations} it per sample");
    }

    /// <summary>One sample of each engine, alternating which goes first.</summary>
    public void RunRound(int round)
    {
        if (round % 2 == 0)
        {
            ConvNet.Sample();
            Torch.Sample();
        }
        else
        {
            Torch.Sample();
            ConvNet.Sample();
        }
    }
}

/// <summary>The same model built in ConvNet and in libtorch, with identical initial weights and the same inputs.</summary>
internal sealed class ModelPair
{
    private readonly string _model;
    private readonly Network _net;
    private readonly torch.nn.Module<TT, TT> _tnet;
    private readonly SoftmaxCrossEntropy _loss = new();
    private readonly Sgd _sgd = new(0.01, 0.9, 5e-4);
    private readonly torch.optim.Optimizer _tsgd;
    private readonly int[] _labels = new int[256];
    private readonly Dictionary<int, (CTensor X, TT TX)> _inputs = [];
    private readonly Dictionary<int, (CTensor Out, CTensor Delta, TT TLabels)> _buffers = [];

    public ModelPair(string model, int threads)
    {
        _model = model;
        (_net, _tnet) = model == "resnet20"
            ? (ResNet.ResNet20(1), TorchModels.ResNet20())
            : (LeNet5.Modern(1), TorchModels.LeNet5Modern());
        _net.DegreeOfParallelism = threads;
        for (int i = 0; i < _labels.Length; i++)
        {
            _labels[i] = i % 10;
        }

        CopyWeights();

        // ConvNet's Sgd decays weights only (conv/linear kernels), not biases or BatchNorm γ/β: same split for torch.
        var decay = _tnet.parameters().Where(p => p.dim() > 1).ToList();
        var noDecay = _tnet.parameters().Where(p => p.dim() <= 1).ToList();
        _tsgd = torch.optim.SGD(
            [
                new TorchSharp.Modules.SGD.ParamGroup(decay, lr: 0.01, momentum: 0.9, weight_decay: 5e-4),
                new TorchSharp.Modules.SGD.ParamGroup(noDecay, lr: 0.01, momentum: 0.9, weight_decay: 0),
            ],
            learningRate: 0.01,
            momentum: 0.9);
    }

    public IEnumerable<Case> Cases()
    {
        int[] trainBatches = _model == "resnet20" ? [64, 128] : [64];
        foreach (int b in trainBatches)
        {
            yield return new Case(_model, $"train step b{b}", b, new Side("ConvNet", () => ConvNetStep(b)), new Side("libtorch", () => TorchStep(b)));
        }

        foreach (int b in new[] { 1, 256 })
        {
            yield return new Case(_model, $"inference b{b}", b, new Side("ConvNet", () => ConvNetPredict(b)), new Side("libtorch", () => TorchPredict(b)));
        }
    }

    /// <summary>Parameter counts, eval-mode logits, and one training step (loss and updated weights) on both sides.</summary>
    public void Verify()
    {
        long tcount = _tnet.parameters().Sum(p => p.numel());
        Console.WriteLine($"- {_model}: parameters ConvNet {_net.ParameterCount:N0}, libtorch {tcount:N0} — {(tcount == _net.ParameterCount ? "equal" : "MISMATCH")}");

        ConvNetPredict(256);
        TorchPredict(256, out float[] tlogits);
        float[] logits = _buffers[256].Out.ToArray();
        Console.WriteLine($"- {_model}: eval logits b256 max |ConvNet − libtorch| = {MaxAbsDiff(logits, tlogits):G3}");

        float loss = ConvNetStep(64);
        float tloss = TorchStep(64);
        var cparams = _net.Parameters.SelectMany(p => p.Value.ToArray()).ToArray();
        var tparams = _tnet.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"- {_model}: first train step b64 loss ConvNet {loss:F6}, libtorch {tloss:F6}; max |ΔW| after SGD step = {MaxAbsDiff(cparams, tparams):G3}"));
    }

    private static float MaxAbsDiff(float[] a, float[] b)
    {
        if (a.Length != b.Length)
        {
            return float.NaN;
        }

        float m = 0;
        for (int i = 0; i < a.Length; i++)
        {
            m = Math.Max(m, Math.Abs(a[i] - b[i]));
        }

        return m;
    }

    private void CopyWeights()
    {
        var cps = _net.Parameters;
        var tps = _tnet.parameters().ToList();
        if (cps.Count != tps.Count)
        {
            throw new InvalidOperationException($"{_model}: {cps.Count} ConvNet parameters vs {tps.Count} libtorch parameters.");
        }

        using var _ = torch.no_grad();
        for (int i = 0; i < cps.Count; i++)
        {
            long[] shape = cps[i].Value.Shape.ToArray().Select(d => (long)d).ToArray();
            if (!shape.SequenceEqual(tps[i].shape))
            {
                throw new InvalidOperationException($"{_model}: parameter {i} shape [{string.Join(",", shape)}] vs libtorch [{string.Join(",", tps[i].shape)}].");
            }

            using var src = torch.tensor(cps[i].Value.ToArray(), shape);
            tps[i].copy_(src);
        }
    }

    private (CTensor X, TT TX) Input(int batch)
    {
        if (!_inputs.TryGetValue(batch, out var v))
        {
            var rng = new Random(batch);
            var data = new float[batch * 784];
            for (int i = 0; i < data.Length; i++)
            {
                data[i] = (float)(rng.NextDouble() - 0.5);
            }

            v = (CTensor.FromData(data, batch, 1, 28, 28), torch.tensor(data, [batch, 1, 28, 28]));
            _inputs[batch] = v;
        }

        return v;
    }

    private (CTensor Out, CTensor Delta, TT TLabels) Buffers(int batch)
    {
        if (!_buffers.TryGetValue(batch, out var v))
        {
            v = (new CTensor(batch, 10), new CTensor(batch, 10), torch.tensor(_labels.Take(batch).Select(l => (long)l).ToArray(), torch.int64));
            _buffers[batch] = v;
        }

        return v;
    }

    private float ConvNetStep(int batch)
    {
        var x = Input(batch).X;
        var delta = Buffers(batch).Delta;
        var labels = _labels.AsSpan(0, batch);
        var y = _net.Forward(x);
        float loss = _loss.Forward(y, labels);
        _loss.Backward(y, labels, delta);
        _net.Backward(delta);
        _sgd.Step(_net.Parameters);
        return loss;
    }

    private void ConvNetPredict(int batch) => _net.Predict(Input(batch).X, Buffers(batch).Out);

    private float TorchStep(int batch)
    {
        var x = Input(batch).TX;
        var labels = Buffers(batch).TLabels;
        using var scope = torch.NewDisposeScope();
        if (!_tnet.training)
        {
            _tnet.train(); // switch only when the previous case ran inference
        }

        _tsgd.zero_grad();
        var y = _tnet.forward(x);
        var loss = torch.nn.functional.cross_entropy(y, labels);
        loss.backward();
        _tsgd.step();
        return loss.item<float>();
    }

    private void TorchPredict(int batch) => TorchPredict(batch, out _, copy: false);

    private void TorchPredict(int batch, out float[] logits, bool copy = true)
    {
        var x = Input(batch).TX;
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        if (_tnet.training)
        {
            _tnet.eval();
        }

        var y = _tnet.forward(x);
        logits = copy ? y.data<float>().ToArray() : [];
    }
}
