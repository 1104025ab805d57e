using System;
using System.Collections.Generic;
using System.Numerics.Tensors;
using System.Text.Json;

namespace ConvNet.Optimizers;

/// <summary>
/// Updates parameters from their gradients. Gradients are expected as written by a network whose loss reduces by the
/// batch mean, i.e. g = (1/N) Σ_n ∂E⁽ⁿ⁾/∂W. Per-parameter state (velocities, moments) is created on the first step and
/// kept in <see cref="State"/> so it can be saved and restored for resuming.
/// </summary>
public abstract class Optimizer
{
    private readonly Dictionary<Parameter, float[][]> _state = new(ReferenceEqualityComparer.Instance);
    private double _learningRate;

    /// <summary>Initializes the optimizer.</summary>
    /// <param name="learningRate">α ≥ 0.</param>
    protected Optimizer(double learningRate)
    {
        LearningRate = learningRate;
    }

    /// <summary>
    /// The learning rate α ≥ 0 used by the next <see cref="Step"/> (a schedule may change it each epoch). 0 is allowed,
    /// as in PyTorch: the step adds no new gradient or weight-decay term (Sgd's velocity from earlier steps still moves
    /// the weights as it decays) while the optimizer state and step count advance. Setting it also makes it the α₀ of
    /// the next <see cref="Training.Trainer"/> built on this optimizer (it clears <see cref="BaseLearningRate"/>); the
    /// rates a schedule applies during training do not.
    /// </summary>
    public double LearningRate
    {
        get => _learningRate;
        set
        {
            SetScheduledRate(value);
            BaseLearningRate = null;
        }
    }

    /// <summary>
    /// α₀, the rate a learning-rate schedule starts from (kept in checkpoints so a resumed schedule matches); null until
    /// a trainer or a loaded checkpoint sets it, and again after the user sets <see cref="LearningRate"/>.
    /// </summary>
    public double? BaseLearningRate { get; set; }

    /// <summary>Sets α as a schedule does: for the coming steps, keeping α₀.</summary>
    internal void SetScheduledRate(double value)
    {
        ThrowHelper.FiniteNonNegative(value, nameof(LearningRate));
        _learningRate = value;
    }

    /// <summary>The number of steps taken.</summary>
    public long Steps { get; set; }

    /// <summary>The names of the state buffers kept per parameter (e.g. "velocity"; "m", "v").</summary>
    public abstract IReadOnlyList<string> StateNames { get; }

    /// <summary>The per-parameter state buffers, in <see cref="StateNames"/> order (created on first use).</summary>
    /// <param name="parameter">A parameter this optimizer updates.</param>
    /// <returns>One buffer per state name, each as long as the parameter.</returns>
    public IReadOnlyList<float[]> State(Parameter parameter)
    {
        ThrowHelper.NotNull(parameter, nameof(parameter));
        if (!_state.TryGetValue(parameter, out var s))
        {
            s = new float[StateNames.Count][];
            for (int i = 0; i < s.Length; i++)
            {
                s[i] = new float[parameter.Value.Length];
            }

            InitializeState(parameter, s);
            _state[parameter] = s;
        }

        return s;
    }

    /// <summary>Applies one update to every parameter that is not <see cref="Parameter.Frozen"/>.</summary>
    /// <param name="parameters">The parameters, e.g. <see cref="Network.Parameters"/>.</param>
    public void Step(IReadOnlyList<Parameter> parameters)
    {
        ThrowHelper.NotNull(parameters, nameof(parameters));
        Steps++;
        for (int i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i];
            if (p.Frozen)
            {
                continue;
            }

            var s = (float[][])State(p);
            Update(p, p.Value.AsSpan(), p.Gradient.AsSpan(), s);
            if (p.IsMasked)
            {
                p.ApplyMask();
            }
        }
    }

    /// <summary>
    /// The type name checkpoints record for this optimizer and <see cref="OptimizerRegistry"/> maps back to a factory
    /// (default: the class name, e.g. "Sgd").
    /// </summary>
    protected internal virtual string ConfigType => GetType().Name;

    /// <summary>
    /// Writes this optimizer's own settings (everything its registered factory needs besides the learning rate, e.g.
    /// "momentum") as properties of the open JSON object of the checkpoint's optimizer settings, like Keras'
    /// <c>get_config</c>. The keys "type", "learningRate" and "steps" are written for every optimizer and are reserved.
    /// The default writes nothing.
    /// </summary>
    /// <param name="writer">The writer, positioned inside the settings object.</param>
    protected internal virtual void WriteConfig(Utf8JsonWriter writer)
    {
    }

    /// <summary>g′ = g + λW into <paramref name="destination"/>: L2 weight decay folded into the gradient (weights only).</summary>
    private protected static void DecayedGradient(Parameter parameter, ReadOnlySpan<float> value, ReadOnlySpan<float> gradient, double weightDecay, Span<float> destination)
    {
        gradient.CopyTo(destination);
        if (parameter.Decays && weightDecay != 0)
        {
            TensorPrimitives.MultiplyAdd(value, (float)weightDecay, destination, destination);
        }
    }

    /// <summary>Fills a parameter's new state buffers before its first step (default: all zero).</summary>
    /// <param name="parameter">The parameter.</param>
    /// <param name="state">Its buffers, in <see cref="StateNames"/> order, zero-filled.</param>
    protected virtual void InitializeState(Parameter parameter, float[][] state)
    {
    }

    /// <summary>Updates one parameter in place.</summary>
    /// <param name="parameter">The parameter (for <see cref="Parameter.Decays"/>).</param>
    /// <param name="value">W.</param>
    /// <param name="gradient">g.</param>
    /// <param name="state">This parameter's buffers.</param>
    protected abstract void Update(Parameter parameter, Span<float> value, ReadOnlySpan<float> gradient, float[][] state);
}
