using System;
using ConvNet.Losses;
using FluentAssertions;
using Xunit;

namespace ConvNet.Core.Tests.Losses;

/// <summary>Hand-computed values, finite differences, bad settings and the denominators of each new loss.</summary>
public class LossWorkedExampleTests
{
    private static float Loss(Loss l, float[] y, float[] t) => l.Forward(Tensor.FromData(y, 1, y.Length), Tensor.FromData(t, 1, t.Length));

    [Fact]
    public void Worked_examples()
    {
        // L1: |0.5 − 0| + |−1 − 1| = 2.5 over 2 elements.
        Loss(new L1Loss(), [0.5f, -1f], [0f, 1f]).Should().BeApproximately(1.25f, 1e-6f);

        // Huber δ = 1: d = 0.5 → 0.125; d = −2 → 1·(2 − 0.5) = 1.5. Smooth L1 β = 0.5: d = 0.5 → |d| − β/2 = 0.25; d = −2 → 1.75.
        Loss(new HuberLoss(1.0, LossReduction.Sum), [0.5f, -1f], [0f, 1f]).Should().BeApproximately(1.625f, 1e-6f);
        Loss(new SmoothL1Loss(0.5, LossReduction.Sum), [0.5f, -1f], [0f, 1f]).Should().BeApproximately(2.0f, 1e-6f);

        // BCE: z = 0 gives ln 2 for any target; z = ±30 with the matching target is ≈ e^−30, not NaN or ∞.
        Loss(new BinaryCrossEntropyWithLogits(), [0f, 0f], [1f, 0.25f]).Should().BeApproximately((float)Math.Log(2), 1e-6f);
        Loss(new BinaryCrossEntropyWithLogits(reduction: LossReduction.Sum), [30f, -30f], [1f, 0f]).Should().BeApproximately((float)(2 * Math.Exp(-30)), 1e-15f);
        Loss(new BinaryCrossEntropyWithLogits(reduction: LossReduction.Sum), [1000f], [0f]).Should().Be(1000f);

        // Label smoothing ε = 0.3 over K = 3 with equal logits: q = (0.8, 0.1, 0.1) sums to 1, E = ln 3.
        new SoftmaxCrossEntropy(0.3).Forward(new Tensor(1, 3), [0]).Should().BeApproximately((float)Math.Log(3), 1e-6f);
    }

    [Fact]
    public void Class_weighted_mean_divides_by_the_weights_of_the_batch_labels()
    {
        var z = Tensor.FromData([2f, 0f, 0f, 2f], 2, 2);
        var weighted = new SoftmaxCrossEntropy(0, [1f, 3f]);
        var sum = new SoftmaxCrossEntropy(0, [1f, 3f], LossReduction.Sum);
        weighted.Forward(z, [0, 1]).Should().BeApproximately(sum.Forward(z, [0, 1]) / 4f, 1e-6f);
        FluentActions.Invoking(() => new SoftmaxCrossEntropy(0, [0f, 1f]).Forward(z, [0, 0])).Should().Throw<ArgumentException>().WithMessage("*weight 0*");
        FluentActions.Invoking(() => new SoftmaxCrossEntropy(0, [1f, 1f, 1f]).Forward(z, [0, 0])).Should().Throw<ArgumentException>().WithMessage("*3 class weights*2 classes*");
    }

    [Fact]
    public void Gradients_match_central_differences()
    {
        var rng = new Random(7);
        foreach (var loss in new Loss[]
        {
            new L1Loss(), new HuberLoss(0.7), new SmoothL1Loss(0.4), new BinaryCrossEntropyWithLogits([0.5f, 2f, 1f]),
            new SoftmaxCrossEntropy(0.2, [1f, 2f, 0.5f]), new SoftmaxCrossEntropy(0.1),
        })
        {
            var y = new float[6];
            var t = new float[6];
            for (int i = 0; i < 6; i++)
            {
                y[i] = (float)((rng.NextDouble() * 4) - 2);
                t[i] = (float)rng.NextDouble();
            }

            int[] labels = [2, 0];
            bool byLabel = loss is SoftmaxCrossEntropy;
            var yt = Tensor.FromData(y, 2, 3);
            var tt = Tensor.FromData(t, 2, 3);
            var g = new Tensor(2, 3);
            if (byLabel)
            {
                loss.Backward(yt, labels, g);
            }
            else
            {
                loss.Backward(yt, tt, g);
            }

            for (int i = 0; i < 6; i++)
            {
                const float h = 1e-2f;
                double E(float v)
                {
                    var yy = (float[])y.Clone();
                    yy[i] = v;
                    var p = Tensor.FromData(yy, 2, 3);
                    return byLabel ? loss.Forward(p, labels) : loss.Forward(p, tt);
                }

                double numeric = (E(y[i] + h) - E(y[i] - h)) / (2 * h);
                g.AsSpan()[i].Should().BeApproximately((float)numeric, 2e-3f, $"{loss.GetType().Name} element {i}");
            }
        }
    }

    [Fact]
    public void Bad_settings_are_rejected()
    {
        FluentActions.Invoking(() => new HuberLoss(0)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("delta");
        FluentActions.Invoking(() => new HuberLoss(double.NaN)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("delta");
        FluentActions.Invoking(() => new SmoothL1Loss(-1)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("beta");
        FluentActions.Invoking(() => new SoftmaxCrossEntropy(1.0)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("labelSmoothing");
        FluentActions.Invoking(() => new SoftmaxCrossEntropy(0, [-1f])).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("classWeights");
        FluentActions.Invoking(() => new BinaryCrossEntropyWithLogits([0f])).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("positiveWeight");
        FluentActions.Invoking(() => new BinaryCrossEntropyWithLogits([1f, 1f]).Forward(new Tensor(1, 3), new Tensor(1, 3))).Should().Throw<ArgumentException>().WithMessage("*2 positive weights*3 outputs*");
    }
}
