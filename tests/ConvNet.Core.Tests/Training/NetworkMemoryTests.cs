using System;
using System.Threading;
using System.Threading.Tasks;
using ConvNet.Layers;
using ConvNet.Models;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Training;

/// <summary>Inference memory (no δ buffers, bounded chunks) and the network's lock around Add.</summary>
public class NetworkMemoryTests
{
    [Fact]
    public void Predict_on_a_large_input_allocates_a_fraction_of_the_input_and_matches_batch_by_batch()
    {
        var net = LeNet5.Modern(seed: 2);
        const int N = 12_000;
        var x = new Tensor(N, 1, 28, 28);
        var rng = new Random(3);
        var s = x.AsSpan();
        for (int i = 0; i < s.Length; i++)
        {
            s[i] = (float)rng.NextDouble();
        }

        long inputBytes = 4L * x.Length;
        net.Predict(x.Slice(0, 7)); // JIT and small caches outside the measurement
        long before = GC.GetAllocatedBytesForCurrentThread();
        var y = net.Predict(x);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // The result (N × 10 floats) and the activations of a full and a tail chunk, so the peak stays below twice the
        // input; before, one workspace for all N samples with a δ per layer took about 30 times the input.
        allocated.Should().BeLessThan(inputBytes, "inference keeps no δ buffers and runs large inputs in bounded chunks");
        long again = GC.GetAllocatedBytesForCurrentThread();
        net.Predict(x);
        (GC.GetAllocatedBytesForCurrentThread() - again).Should().BeLessThan(inputBytes / 20, "the chunk buffers are reused: only the result is new");
        var part = net.Predict(x.Slice(N - 300, 300));
        y.Slice(N - 300, 300).ToArray().Should().Equal(part.ToArray(), "chunking does not change a prediction's bits");
    }

    [Fact]
    public void ReleaseWorkspaces_drops_the_cached_buffers_and_predictions_stay_the_same()
    {
        var net = LeNet5.Modern(seed: 4);
        var x = new Tensor(5, 1, 28, 28);
        x.AsSpan().Fill(0.25f);
        var a = net.Predict(x).ToArray();
        net.ReleaseWorkspaces();
        net.Predict(x).ToArray().Should().Equal(a);
    }

    [Fact]
    public async Task Add_racing_Predict_never_corrupts_a_prediction()
    {
        var net = new Network(16).Add(new FullyConnected(16, 16, seed: 1));
        var x = new Tensor(4, 16);
        x.AsSpan().Fill(1f);
        using var stop = new CancellationTokenSource();
        Exception? failure = null;
        var reader = Task.Run(() =>
        {
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    var y = net.Predict(x);
                    y.Shape[1].Should().Be(16);
                }
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        for (int i = 0; i < 300; i++)
        {
            net.Add(i % 2 == 0 ? new ReLU() : new Tanh());
        }

        stop.Cancel();
        await reader;
        failure.Should().BeNull();
    }

    [Fact]
    public void Predict_runs_in_inference_mode_and_restores_the_training_mode()
    {
        var probe = new ModeProbe();
        var net = new Network(2).Add(probe);
        net.IsTraining.Should().BeTrue();
        net.Predict(new Tensor(1, 2));
        probe.SeenTraining.Should().Equal(false);
        net.Forward(new Tensor(1, 2));
        net.Backward(new Tensor(1, 2));
        probe.SeenTraining.Should().Equal(false, true);
        net.SetTraining(false);
        net.Forward(new Tensor(1, 2));
        probe.SeenTraining.Should().Equal(false, true, false);
        probe.IsTraining.Should().BeFalse();
    }

    private sealed class ModeProbe : Layer
    {
        public ModeProbe()
            : base("Probe")
        {
        }

        public System.Collections.Generic.List<bool> SeenTraining { get; } = [];

        public override int[] GetOutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();

        protected override void ForwardCore(Tensor input, Tensor output)
        {
            SeenTraining.Add(IsTraining);
            input.AsSpan().CopyTo(output.AsSpan());
        }

        protected override void BackwardCore(Tensor input, Tensor output, Tensor outputGradient, Tensor? inputGradient)
        {
        }
    }
}
