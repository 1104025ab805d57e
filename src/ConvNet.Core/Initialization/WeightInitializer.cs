using System;

namespace ConvNet.Initialization;

/// <summary>
/// Weight initialization ("Training techniques-I: weight initialization"). fan_in = inputs per output unit
/// (connected input maps × kernel volume for a convolution), fan_out = outputs per input unit. Every scheme draws from the
/// <see cref="Random"/> it is given, so a seed fixes the result.
/// </summary>
public abstract class WeightInitializer
{
    /// <summary>Glorot/Xavier uniform: U(−a, a), a = √(6 / (fan_in + fan_out)).</summary>
    public static WeightInitializer GlorotUniform { get; } = new Uniform("GlorotUniform", (i, o) => Math.Sqrt(6.0 / (i + o)));

    /// <summary>Glorot/Xavier normal: N(0, σ²), σ = √(2 / (fan_in + fan_out)).</summary>
    public static WeightInitializer GlorotNormal { get; } = new Normal("GlorotNormal", (i, o) => Math.Sqrt(2.0 / (i + o)));

    /// <summary>He/Kaiming uniform (for ReLU): U(−a, a), a = √(6 / fan_in).</summary>
    public static WeightInitializer HeUniform { get; } = new Uniform("HeUniform", (i, _) => Math.Sqrt(6.0 / i));

    /// <summary>He/Kaiming normal (for ReLU): N(0, σ²), σ = √(2 / fan_in).</summary>
    public static WeightInitializer HeNormal { get; } = new Normal("HeNormal", (i, _) => Math.Sqrt(2.0 / i));

    /// <summary>LeCun uniform (for tanh/sigmoid, LeNet-5's choice): U(−a, a), a = √(3 / fan_in).</summary>
    public static WeightInitializer LeCunUniform { get; } = new Uniform("LeCunUniform", (i, _) => Math.Sqrt(3.0 / i));

    /// <summary>LeCun normal: N(0, σ²), σ = √(1 / fan_in).</summary>
    public static WeightInitializer LeCunNormal { get; } = new Normal("LeCunNormal", (i, _) => Math.Sqrt(1.0 / i));

    /// <summary>All zeros (biases).</summary>
    public static WeightInitializer Zeros { get; } = new Constant();

    /// <summary>The scheme's name, e.g. "HeUniform".</summary>
    public abstract string Name { get; }

    /// <summary>Fills <paramref name="weights"/> with draws from this scheme.</summary>
    /// <param name="weights">The values to overwrite.</param>
    /// <param name="fanIn">Inputs per output unit (≥ 1).</param>
    /// <param name="fanOut">Outputs per input unit (≥ 1).</param>
    /// <param name="random">The seeded source of randomness.</param>
    public abstract void Fill(Span<float> weights, int fanIn, int fanOut, Random random);

    /// <summary>Looks a built-in scheme up by <see cref="Name"/>.</summary>
    /// <param name="name">For example "HeUniform".</param>
    /// <returns>The scheme.</returns>
    public static WeightInitializer FromName(string name) => name switch
    {
        "GlorotUniform" => GlorotUniform,
        "GlorotNormal" => GlorotNormal,
        "HeUniform" => HeUniform,
        "HeNormal" => HeNormal,
        "LeCunUniform" => LeCunUniform,
        "LeCunNormal" => LeCunNormal,
        "Zeros" => Zeros,
        _ => throw new ArgumentException($"Unknown initializer '{name}'.", nameof(name)),
    };

    /// <inheritdoc />
    public override string ToString() => Name;

    private sealed class Uniform(string name, Func<int, int, double> bound) : WeightInitializer
    {
        public override string Name => name;

        public override void Fill(Span<float> weights, int fanIn, int fanOut, Random random)
        {
            ThrowHelper.NotNull(random, nameof(random));
            double a = bound(Math.Max(1, fanIn), Math.Max(1, fanOut));
            for (int i = 0; i < weights.Length; i++)
            {
                weights[i] = (float)(((random.NextDouble() * 2) - 1) * a);
            }
        }
    }

    private sealed class Normal(string name, Func<int, int, double> sigma) : WeightInitializer
    {
        public override string Name => name;

        public override void Fill(Span<float> weights, int fanIn, int fanOut, Random random)
        {
            ThrowHelper.NotNull(random, nameof(random));
            double s = sigma(Math.Max(1, fanIn), Math.Max(1, fanOut));
            for (int i = 0; i < weights.Length; i++)
            {
                // Box–Muller; 1 − U keeps the logarithm finite.
                double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
                weights[i] = (float)(s * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
            }
        }
    }

    private sealed class Constant : WeightInitializer
    {
        public override string Name => "Zeros";

        public override void Fill(Span<float> weights, int fanIn, int fanOut, Random random) => weights.Clear();
    }
}
