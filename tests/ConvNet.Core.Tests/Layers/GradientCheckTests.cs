using System;
using ConvNet.Diagnostics;
using ConvNet.Layers;
using ConvNet.Losses;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Layers;

/// <summary>Every layer and loss passes the finite-difference checker; a wrong layer fails it.</summary>
public class GradientCheckTests
{
    private static void ShouldPass(Layer layer, int[] shape, int seed = 1)
    {
        var r = GradientChecker.Check(layer, shape, new GradientCheckOptions { Seed = seed });
        r.Passed.Should().BeTrue($"{layer.Name} on {string.Join("x", shape)}: {r}");
    }

    [Fact]
    public void FullyConnected_passes() => ShouldPass(new FullyConnected(7, 5, seed: 3), [4, 7]);

    [Fact]
    public void Sigmoid_Tanh_ReLU_pass()
    {
        ShouldPass(new Sigmoid(), [3, 11]);
        ShouldPass(new Tanh(), [3, 11]);
        ShouldPass(new ReLU(), [3, 2, 5, 5]);
    }

    [Fact]
    public void Flatten_passes() => ShouldPass(new Flatten(), [2, 3, 4, 5]);

    [Fact]
    public void Conv_layers_pass_for_random_strides_paddings_dilations_and_tables()
    {
        var rng = new Random(42);
        for (int trial = 0; trial < 12; trial++)
        {
            int p = rng.Next(1, 4), q = rng.Next(1, 4), k = rng.Next(1, 4), s = rng.Next(1, 3), d = rng.Next(1, 3);
            var table = new bool[q, p];
            for (int a = 0; a < q; a++)
            {
                table[a, rng.Next(p)] = true;
                for (int c = 0; c < p; c++)
                {
                    table[a, c] |= rng.NextDouble() < 0.5;
                }
            }

            var ct = ConnectionTable.FromMatrix(table);
            var pad = (trial % 4) switch
            {
                0 => Padding.Valid,
                1 => Padding.Same,
                2 => Padding.Full,
                _ => Padding.Explicit((rng.Next(0, Math.Min(3, (d * (k - 1)) + 1)), rng.Next(0, Math.Min(3, (d * (k - 1)) + 1)))),
            };
            int len = (d * (k - 1)) + 1 + rng.Next(0, 5);
            switch (trial % 3)
            {
                case 0:
                    ShouldPass(new Conv1D(p, q, k, s, pad, d, ct, seed: trial), [2, p, len], trial);
                    break;
                case 1:
                    ShouldPass(new Conv2D(p, q, k, s, pad, d, ct, seed: trial), [2, p, len, len + 1], trial);
                    break;
                default:
                    ShouldPass(new Conv3D(p, q, k, s, pad, d, ct, seed: trial), [1, p, len, len, len], trial);
                    break;
            }
        }

        ShouldPass(new Conv2D(6, 16, 5, connections: ConnectionTable.LeNet5C3), [1, 6, 6, 6]);
        ShouldPass(new Conv2D(4, 6, 3, connections: ConnectionTable.Groups(4, 6, 2)), [2, 4, 5, 5]);
    }

    [Fact]
    public void Pooling_layers_pass()
    {
        ShouldPass(new MaxPool1D(2), [2, 2, 10]);
        ShouldPass(new MaxPool2D(3, 2), [2, 2, 9, 9]);
        ShouldPass(new MaxPool2D(3, 2, 1), [1, 2, 8, 8]);
        ShouldPass(new MaxPool3D(2), [1, 2, 4, 4, 4]);
        ShouldPass(new AveragePool1D(3, 2), [2, 2, 9]);
        ShouldPass(new AveragePool2D(2), [2, 3, 6, 6]);
        ShouldPass(new AveragePool2D(3, 1, 1), [1, 2, 5, 5]);
        ShouldPass(new AveragePool3D(2), [1, 2, 4, 4, 4]);
    }

    [Fact]
    public void MaxPool_with_ties_skips_the_kinks_instead_of_failing()
    {
        var x = Tensor.FromData([1, 1, 0, 2, 3, 3, 3, 3], 1, 1, 8);
        var r = GradientChecker.Check(new MaxPool1D(2), x);
        r.Passed.Should().BeTrue(r.ToString());
        r.Skipped.Should().BeGreaterThan(0);
    }

    [Fact]
    public void Losses_pass_with_dense_and_label_targets()
    {
        var rng = new Random(3);
        var y = new Tensor(4, 6);
        var t = new Tensor(4, 6);
        for (int i = 0; i < y.Length; i++)
        {
            y.AsSpan()[i] = (float)((rng.NextDouble() * 4) - 2);
            t.AsSpan()[i] = (float)rng.NextDouble();
        }

        foreach (var reduction in new[] { LossReduction.Mean, LossReduction.Sum })
        {
            GradientChecker.Check(new EuclideanLoss(reduction), y, t).Passed.Should().BeTrue();
            GradientChecker.Check(new SoftmaxCrossEntropy(reduction), y, new[] { 0, 5, 2, 2 }, new GradientCheckOptions { Step = 1e-3 }).Passed.Should().BeTrue();
            GradientChecker.Check(new EuclideanLoss(reduction), y, new[] { 1, 1, 3, 0 }).Passed.Should().BeTrue();
        }
    }

    [Fact]
    public void The_checker_fails_on_a_deliberately_wrong_layer()
    {
        var r = GradientChecker.Check(new WrongSigmoid(), [2, 5]);
        r.Passed.Should().BeFalse();
        r.Failures.Should().NotBeEmpty();
        var wrongFc = GradientChecker.Check(new WrongBiasFc(), [3, 4]);
        wrongFc.Passed.Should().BeFalse();
        wrongFc.Failures[0].Should().StartWith("bias");
    }

    /// <summary>Uses f' = f instead of f(1 − f).</summary>
    [Fact]
    public void A_steep_smooth_function_is_checked_not_mistaken_for_kinks()
    {
        // y = 100x²: the one-sided slopes at h = 0.01 differ by f''·h = 2, which used to be called a kink everywhere.
        var r = GradientChecker.Check(new Steep(100f), [3, 5]);
        r.Skipped.Should().Be(0);
        r.Checked.Should().Be(15);
        r.Passed.Should().BeTrue(r.ToString());

        // The same function with a wrong derivative (2·99x) must fail, not be skipped.
        var wrong = GradientChecker.Check(new Steep(100f, derivativeFactor: 99f), [3, 5]);
        wrong.Passed.Should().BeFalse();
        wrong.Checked.Should().Be(15);
    }

    [Fact]
    public void Large_values_are_perturbed_relative_to_their_scale()
    {
        // At 1e6 a float32 step of 0.01 is below the spacing (0.0625): v ± h == v. The step must scale with |v|.
        var x = Tensor.FromData([1e6f, -3e6f, 2e5f], 1, 3);
        var r = GradientChecker.Check(new Steep(1e-6f), x);
        r.Checked.Should().Be(3);
        r.Passed.Should().BeTrue(r.ToString());
    }

    [Fact]
    public void Checking_nothing_is_not_a_pass()
    {
        var r = GradientChecker.Check(new ReLU(), Tensor.FromData([0f, 0f], 1, 2));
        r.Checked.Should().Be(0);
        r.Skipped.Should().Be(2, "both inputs sit on ReLU's kink");
        r.Passed.Should().BeFalse();
    }

    /// <summary>y = a·x², dy/dx = 2·a′·x (a′ = a unless a wrong factor is given).</summary>
    private sealed class Steep(float a, float? derivativeFactor = null) : Layer("Steep")
    {
        public override int[] GetOutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();

        protected override void ForwardCore(Tensor input, Tensor output)
        {
            for (int i = 0; i < input.Length; i++)
            {
                output.AsSpan()[i] = a * input.AsSpan()[i] * input.AsSpan()[i];
            }
        }

        protected override void BackwardCore(Tensor input, Tensor output, Tensor outputGradient, Tensor? inputGradient)
        {
            for (int i = 0; i < input.Length; i++)
            {
                inputGradient!.AsSpan()[i] = 2 * (derivativeFactor ?? a) * input.AsSpan()[i] * outputGradient.AsSpan()[i];
            }
        }
    }

    private sealed class WrongSigmoid() : Layer("WrongSigmoid")
    {
        public override int[] GetOutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();

        protected override void ForwardCore(Tensor input, Tensor output) =>
            System.Numerics.Tensors.TensorPrimitives.Sigmoid(input.AsSpan(), output.AsSpan());

        protected override void BackwardCore(Tensor input, Tensor output, Tensor outputGradient, Tensor? inputGradient) =>
            System.Numerics.Tensors.TensorPrimitives.Multiply(outputGradient.AsSpan(), output.AsSpan(), inputGradient!.AsSpan());
    }

    /// <summary>A fully connected layer whose bias gradient forgets to sum over the batch.</summary>
    private sealed class WrongBiasFc : Layer
    {
        private readonly FullyConnected _inner = new(4, 3, seed: 1);

        public WrongBiasFc()
            : base("WrongBiasFc")
        {
        }

        public override System.Collections.Generic.IReadOnlyList<Parameter> Parameters => _inner.Parameters;

        public override int[] GetOutputShape(ReadOnlySpan<int> inputShape) => _inner.GetOutputShape(inputShape);

        protected override void ForwardCore(Tensor input, Tensor output) => _inner.Forward(input, output);

        protected override void BackwardCore(Tensor input, Tensor output, Tensor outputGradient, Tensor? inputGradient)
        {
            _inner.Backward(input, output, outputGradient, inputGradient);
            outputGradient.AsSpan()[..3].CopyTo(_inner.Bias!.Gradient.AsSpan());
        }
    }
}
