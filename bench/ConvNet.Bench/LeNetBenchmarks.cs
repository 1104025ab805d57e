using System;
using BenchmarkDotNet.Attributes;
using ConvNet.Losses;
using ConvNet.Models;
using ConvNet.Optimizers;

namespace ConvNet.Bench;

/// <summary>LeNet-5 train steps (batch 64) and inference (batch 1 and 256), on one thread and two.</summary>
public class LeNetBenchmarks
{
    private Network _net = null!;
    private Tensor _x64 = null!, _x1 = null!, _x256 = null!, _y1 = null!, _y256 = null!, _delta = null!;
    private readonly int[] _labels = new int[64];
    private readonly SoftmaxCrossEntropy _loss = new();
    private Sgd _sgd = null!;

    [Params("modern", "classic")]
    public string Model { get; set; } = "";

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _net = Model == "modern" ? LeNet5.Modern(1) : LeNet5.Classic(1);
        _net.DegreeOfParallelism = Threads;
        _sgd = new Sgd(0.01, 0.9, 5e-4);
        var rng = new Random(1);
        _x64 = Tensor.FromData(ConvolutionBenchmarks.Fill(rng, 64 * 784), 64, 1, 28, 28);
        _x1 = Tensor.FromData(ConvolutionBenchmarks.Fill(rng, 784), 1, 1, 28, 28);
        _x256 = Tensor.FromData(ConvolutionBenchmarks.Fill(rng, 256 * 784), 256, 1, 28, 28);
        _y1 = new Tensor(1, 10);
        _y256 = new Tensor(256, 10);
        _delta = new Tensor(64, 10);
        for (int i = 0; i < 64; i++)
        {
            _labels[i] = i % 10;
        }
    }

    public static (double, string) WorkOf(string method, Func<string, object?> parameter)
    {
        _ = parameter;
        return (method switch
        {
            nameof(TrainStep64) => 64,
            nameof(Inference1) => 1,
            _ => 256,
        }, "img/s");
    }

    [Benchmark]
    public void TrainStep64()
    {
        var y = _net.Forward(_x64);
        _loss.Forward(y, _labels);
        _loss.Backward(y, _labels, _delta);
        _net.Backward(_delta);
        _sgd.Step(_net.Parameters);
    }

    [Benchmark]
    public void Inference1() => _net.Predict(_x1, _y1);

    [Benchmark]
    public void Inference256() => _net.Predict(_x256, _y256);
}
