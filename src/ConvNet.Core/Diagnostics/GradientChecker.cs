using System;
using System.Collections.Generic;
using ConvNet.Layers;
using ConvNet.Losses;

namespace ConvNet.Diagnostics;

/// <summary>
/// Checks a layer's or a loss's analytic gradients against central finite differences, as Caffe's GradientChecker does:
/// for a layer, L = Σ y ⊙ r with a fixed random upstream r, so ∂L/∂y = r is fed to Backward and every ∂L/∂v (inputs,
/// weights, biases) is compared with (L(v + h) − L(v − h)) / 2h, with h = Step · max(1, |v|). Where the forward and
/// backward one-sided differences disagree, the step is halved once: on a smooth but steep function the gap is
/// curvature and halves too, and the element is checked; otherwise a kink lies within ±h (ReLU at 0, max-pool ties)
/// and the element is skipped and counted. A result that checked nothing does not pass.
/// Use it on your own layers: <c>GradientChecker.Check(myLayer, [2, 3, 8, 8]).Passed</c>.
/// </summary>
public static class GradientChecker
{
    /// <summary>Checks <paramref name="layer"/> on a random input of the given batch shape (values in [−1, 1]).</summary>
    /// <param name="layer">The layer under test (its parameters are perturbed and restored).</param>
    /// <param name="inputShape">Batch-first input shape, e.g. [2, 3, 8, 8].</param>
    /// <param name="options">Step, tolerance, seed.</param>
    /// <returns>The result.</returns>
    public static GradientCheckResult Check(Layer layer, int[] inputShape, GradientCheckOptions? options = null)
    {
        ThrowHelper.NotNull(layer, nameof(layer));
        ThrowHelper.NotNull(inputShape, nameof(inputShape));
        options ??= new GradientCheckOptions();
        var input = new Tensor(inputShape);
        Fill(input.AsSpan(), new Random(options.Seed));
        return Check(layer, input, options);
    }

    /// <summary>Checks <paramref name="layer"/> at the given input.</summary>
    /// <param name="layer">The layer under test.</param>
    /// <param name="input">Batch-first input (perturbed and restored).</param>
    /// <param name="options">Step, tolerance, seed.</param>
    /// <returns>The result.</returns>
    public static GradientCheckResult Check(Layer layer, Tensor input, GradientCheckOptions? options = null)
    {
        ThrowHelper.NotNull(layer, nameof(layer));
        ThrowHelper.NotNull(input, nameof(input));
        options ??= new GradientCheckOptions();
        var rng = new Random(options.Seed + 1);
        var output = layer.Forward(input);
        var upstream = new Tensor(output.Shape.ToArray());
        Fill(upstream.AsSpan(), rng);
        var dx = new Tensor(input.Shape.ToArray());
        layer.Backward(input, output, upstream, dx);

        double Objective()
        {
            layer.Forward(input, output);
            return Dot(output.AsSpan(), upstream.AsSpan());
        }

        var state = new State(options);
        if (options.CheckInputGradient)
        {
            Compare("x", input.AsSpan().Length, i => ref input.AsSpan()[i], dx.ToArray(), Objective, state, rng, null);
        }

        foreach (var p in layer.Parameters)
        {
            var analytic = p.Gradient.ToArray();
            var value = p.Value;
            Compare(p.Name, value.Length, i => ref value.AsSpan()[i], analytic, Objective, state, rng, p.IsMasked ? p.Mask.ToArray() : null);
        }

        layer.Forward(input, output);
        return state.Result();
    }

    /// <summary>Checks a loss's δ = ∂E/∂y against finite differences of E, with dense targets.</summary>
    /// <param name="loss">The loss under test.</param>
    /// <param name="prediction">y^(L), [N, K] (perturbed and restored).</param>
    /// <param name="target">t, [N, K].</param>
    /// <param name="options">Step, tolerance, seed.</param>
    /// <returns>The result.</returns>
    public static GradientCheckResult Check(Loss loss, Tensor prediction, Tensor target, GradientCheckOptions? options = null)
    {
        ThrowHelper.NotNull(loss, nameof(loss));
        ThrowHelper.NotNull(prediction, nameof(prediction));
        ThrowHelper.NotNull(target, nameof(target));
        options ??= new GradientCheckOptions();
        var grad = new Tensor(prediction.Shape.ToArray());
        loss.Backward(prediction, target, grad);
        var state = new State(options);
        Compare("y", prediction.Length, i => ref prediction.AsSpan()[i], grad.ToArray(), () => loss.Forward(prediction, target), state, new Random(options.Seed), null);
        return state.Result();
    }

    /// <summary>Checks a loss's δ = ∂E/∂y against finite differences of E, with class labels.</summary>
    /// <param name="loss">The loss under test.</param>
    /// <param name="prediction">y^(L), [N, K] (perturbed and restored).</param>
    /// <param name="labels">N labels.</param>
    /// <param name="options">Step, tolerance, seed.</param>
    /// <returns>The result.</returns>
    public static GradientCheckResult Check(Loss loss, Tensor prediction, int[] labels, GradientCheckOptions? options = null)
    {
        ThrowHelper.NotNull(loss, nameof(loss));
        ThrowHelper.NotNull(prediction, nameof(prediction));
        ThrowHelper.NotNull(labels, nameof(labels));
        options ??= new GradientCheckOptions();
        var grad = new Tensor(prediction.Shape.ToArray());
        loss.Backward(prediction, labels, grad);
        var state = new State(options);
        Compare("y", prediction.Length, i => ref prediction.AsSpan()[i], grad.ToArray(), () => loss.Forward(prediction, labels), state, new Random(options.Seed), null);
        return state.Result();
    }

    private delegate ref float ElementRef(int index);

    private static void Compare(string what, int length, ElementRef element, float[] analytic, Func<double> objective,
        State state, Random rng, float[]? mask)
    {
        var o = state.Options;
        var indices = new List<int>();
        for (int i = 0; i < length; i++)
        {
            indices.Add(i);
        }

        if (indices.Count > o.MaxChecksPerTensor)
        {
            for (int i = indices.Count - 1; i > 0; i--)
            {
                int j = rng.Next(i + 1);
                (indices[i], indices[j]) = (indices[j], indices[i]);
            }

            indices.RemoveRange(o.MaxChecksPerTensor, indices.Count - o.MaxChecksPerTensor);
        }

        double l0 = objective();
        foreach (int i in indices)
        {
            if (mask is not null && mask[i] == 0f)
            {
                // Unconnected weights: the gradient must be exactly zero.
                if (analytic[i] != 0f)
                {
                    state.Fail($"{what}[{i}]: masked entry has gradient {analytic[i]} (expected exactly 0)");
                }

                continue;
            }

            ref float v = ref element(i);
            float saved = v;

            // The step is relative to the value's scale, so a large value still moves in float32 (1e6 + 0.01 does not).
            double h = o.Step * Math.Max(1, Math.Abs(saved));
            var (numeric, disagreement, scale) = Differences(ref v, saved, h, l0, objective);
            if (disagreement > o.Tolerance * scale)
            {
                // The one-sided slopes differ. On a smooth function that is curvature, f''·h, and halves with h (the
                // central difference stays accurate: y = 100x² is exact); across a kink it does not shrink.
                var (_, half, _) = Differences(ref v, saved, h / 2, l0, objective);
                double ratio = half / disagreement;
                if (!(ratio > 0.4 && ratio < 0.6))
                {
                    state.Skipped++;
                    continue;
                }
            }

            double a = analytic[i];
            double err = Math.Abs(a - numeric) / Math.Max(1, Math.Max(Math.Abs(a), Math.Abs(numeric)));
            state.Checked++;
            state.MaxError = Math.Max(state.MaxError, err);
            if (!(err <= o.Tolerance))
            {
                state.Fail($"{what}[{i}]: analytic {a:G6}, numeric {numeric:G6}, error {err:G3}");
            }
        }
    }

    /// <summary>Central difference at step h, the gap between the one-sided slopes, and the scale to judge that gap by.</summary>
    private static (double Numeric, double Disagreement, double Scale) Differences(ref float v, float saved, double h, double l0, Func<double> objective)
    {
        float plus = (float)(saved + h), minus = (float)(saved - h);
        v = plus;
        double lp = objective();
        v = minus;
        double lm = objective();
        v = saved;
        double hp = plus - (double)saved, hm = saved - (double)minus;
        double forward = (lp - l0) / hp, backward = (l0 - lm) / hm;
        return ((lp - lm) / (hp + hm), Math.Abs(forward - backward), Math.Max(1, Math.Max(Math.Abs(forward), Math.Abs(backward))));
    }

    private static void Fill(Span<float> values, Random rng)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)((rng.NextDouble() * 2) - 1);
        }
    }

    private static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++)
        {
            s += (double)a[i] * b[i];
        }

        return s;
    }

    private sealed class State(GradientCheckOptions options)
    {
        private readonly List<string> _failures = [];

        public GradientCheckOptions Options { get; } = options;

        public int Checked { get; set; }

        public int Skipped { get; set; }

        public double MaxError { get; set; }

        public void Fail(string message)
        {
            if (_failures.Count < 20)
            {
                _failures.Add(message);
            }
            else if (_failures.Count == 20)
            {
                _failures.Add("…");
            }
        }

        public GradientCheckResult Result() => new(Checked, Skipped, MaxError, _failures.ToArray());
    }
}
