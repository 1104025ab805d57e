using System;
using System.Collections.Generic;

namespace ConvNet.Layers;

/// <summary>
/// A layer l of the lecture's layer decomposition: Forward computes y^(l) from y^(l−1) over a whole mini-batch
/// (batch-first tensors), Backward computes the local sensitivity δ^(l−1) = ∂E/∂y^(l−1) from δ^(l) = ∂E/∂y^(l) and
/// writes the gradients of the layer's own parameters (summed over the batch).
/// </summary>
/// <remarks>
/// The caller owns the activation and δ buffers (as Caffe's Net owns its blobs), so a layer can be reused across batch
/// sizes; layers keep only caches of their own. After a warm-up call with a given batch size, Forward and Backward
/// allocate nothing. Backward overwrites δ^(l−1); where one activation feeds several consumers, the container that
/// owns them adds their δ's (the multivariate chain rule). To write a new layer, derive from this class and implement
/// <see cref="GetOutputShape"/>, <see cref="ForwardCore"/> and <see cref="BackwardCore"/>; to make it savable,
/// override <see cref="WriteConfig"/> and register a factory with <see cref="Serialization.LayerRegistry"/>.
/// A layer has one owner (a network or a container) and is not thread-safe.
/// </remarks>
public abstract partial class Layer
{
    private int[] _inputShape = [];
    private int[] _outputShape = [];
    private int[]? _forwardShape;
    private int _degreeOfParallelism = Environment.ProcessorCount;
    private bool _training = true;

    /// <summary>Initializes the layer with a display name.</summary>
    /// <param name="name">The name used in messages and summaries.</param>
    protected Layer(string name)
    {
        ThrowHelper.NotNull(name, nameof(name));
        Name = name;
    }

    /// <summary>The name used in messages and summaries (defaults to the type name).</summary>
    public string Name { get; set; }

    /// <summary>
    /// Trainable parameters (W, b) of this layer and, for a container, of all its children in order; empty for
    /// parameter-free layers.
    /// </summary>
    public virtual IReadOnlyList<Parameter> Parameters => [];

    /// <summary>
    /// False when every parameter of this layer (and of a container's children) is <see cref="Parameter.Frozen"/>:
    /// setting it freezes or unfreezes them all, e.g. <c>body.Trainable = false</c> to fine-tune only a new head.
    /// A layer without parameters is trainable.
    /// </summary>
    public bool Trainable
    {
        get
        {
            foreach (var p in Parameters)
            {
                if (!p.Frozen)
                {
                    return true;
                }
            }

            return Parameters.Count == 0;
        }

        set
        {
            foreach (var p in Parameters)
            {
                p.Frozen = !value;
            }
        }
    }

    /// <summary>
    /// State that is not a parameter (BatchNorm's running mean and variance, counters): saved and loaded with the
    /// model and in checkpoints, never touched by optimizers or weight decay. A container lists its children's too.
    /// </summary>
    public virtual IReadOnlyList<StateBuffer> Buffers => [];

    /// <summary>The layers a container owns, in order (empty for a plain layer).</summary>
    public virtual IReadOnlyList<Layer> Children => [];

    /// <summary>
    /// Whether the layer is in training mode (the default, as in PyTorch): BatchNorm uses batch statistics and Dropout
    /// drops. <see cref="Network.Predict(Tensor)"/> always runs in inference mode.
    /// </summary>
    public bool IsTraining => _training;

    /// <summary>The type name under which <see cref="Serialization.LayerRegistry"/> knows this layer (default: the class name).</summary>
    public virtual string TypeName => GetType().Name;

    /// <summary>The network or container that owns this layer, or null while it is free.</summary>
    internal object? Owner { get; private set; }

    /// <summary>How many threads this layer's kernels may use (default: all cores). Results do not depend on it.</summary>
    public int DegreeOfParallelism
    {
        get => _degreeOfParallelism;
        set
        {
            ThrowHelper.Positive(value, nameof(value));
            _degreeOfParallelism = value;
            foreach (var child in Children)
            {
                child.DegreeOfParallelism = value;
            }
        }
    }

    /// <summary>Switches training (true) or inference (false) mode, for this layer and every child.</summary>
    /// <param name="training">True for training mode (PyTorch's <c>train()</c>), false for inference (<c>eval()</c>).</param>
    public void SetTraining(bool training)
    {
        _training = training;
        var children = Children;
        for (int i = 0; i < children.Count; i++)
        {
            children[i].SetTraining(training); // indexed: no enumerator allocation (Predict switches modes every call)
        }
    }

    /// <summary>
    /// Writes this layer's configuration — every constructor setting, not the weights — so that the factory registered
    /// under <see cref="TypeName"/> can rebuild it (Keras' <c>get_config</c>). Containers write their children with
    /// <see cref="Serialization.LayerConfigWriter.Write(string, Layer)"/>. The default throws: a layer that does not
    /// override it cannot be saved.
    /// </summary>
    /// <param name="config">Where to write the settings.</param>
    /// <exception cref="NotSupportedException">The layer does not describe its configuration.</exception>
    public virtual void WriteConfig(Serialization.LayerConfigWriter config) =>
        throw new NotSupportedException($"Layer type {GetType().FullName} ('{Name}') cannot be saved: override Layer.WriteConfig and register a factory with LayerRegistry.Register(\"{TypeName}\", …).");

    /// <summary>
    /// The per-sample output shape for a per-sample input shape (no batch dimension), e.g. [C, H, W] → [C', H', W'].
    /// </summary>
    /// <param name="inputShape">The per-sample input shape.</param>
    /// <returns>The per-sample output shape.</returns>
    /// <exception cref="ArgumentException">The input does not fit this layer; the message names the layer and shapes.</exception>
    public abstract int[] GetOutputShape(ReadOnlySpan<int> inputShape);

    /// <summary>
    /// Activation values one sample produces inside this layer for a per-sample input shape: its output, and for a
    /// container every child's output too (what a loaded model's forward pass will hold per sample). Checked arithmetic.
    /// </summary>
    internal virtual long ActivationElements(ReadOnlySpan<int> inputShape) => Elements(GetOutputShape(inputShape));

    /// <summary>The element count of a shape, with checked arithmetic.</summary>
    internal static long Elements(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (int d in shape)
        {
            n = checked(n * d);
        }

        return n;
    }

    /// <summary>(Re)initializes the parameters from <paramref name="random"/>; parameter-free layers do nothing.</summary>
    /// <param name="random">The source of randomness (seeded by the caller).</param>
    public virtual void Initialize(Random random)
    {
    }

    /// <summary>Forward pass over a mini-batch: y^(l) = f(y^(l−1)).</summary>
    /// <param name="input">y^(l−1), shape [N, …input].</param>
    /// <param name="output">y^(l), shape [N, …output]; overwritten. It must not share memory with the input.</param>
    /// <exception cref="ArgumentException">A shape does not fit, or the output overlaps the input.</exception>
    public void Forward(Tensor input, Tensor output) => Forward(input, output, fusedReLU: false);

    /// <summary>
    /// Backward pass: from δ^(l) computes the parameter gradients (summed over the batch, overwriting them) and, when
    /// <paramref name="inputGradient"/> is given, δ^(l−1).
    /// </summary>
    /// <param name="input">y^(l−1) as passed to the last Forward.</param>
    /// <param name="output">y^(l) as written by the last Forward.</param>
    /// <param name="outputGradient">δ^(l) = ∂E/∂y^(l), shape of output.</param>
    /// <param name="inputGradient">δ^(l−1) = ∂E/∂y^(l−1), shape of input; null to skip it (first layer).</param>
    /// <exception cref="InvalidOperationException">Backward is called before a Forward, or the last Forward had
    /// another input shape (its caches belong to that shape).</exception>
    public void Backward(Tensor input, Tensor output, Tensor outputGradient, Tensor? inputGradient)
    {
        ValidateBackward(input, output, outputGradient, inputGradient);
        BackwardCore(input, output, outputGradient, inputGradient);
    }

    /// <summary>Convenience forward that allocates and returns the output tensor.</summary>
    /// <param name="input">y^(l−1), shape [N, …input].</param>
    /// <returns>y^(l).</returns>
    public Tensor Forward(Tensor input)
    {
        ThrowHelper.NotNull(input, nameof(input));
        var output = new Tensor(BatchShape(input.Shape[0], GetOutputShape(input.Shape[1..])));
        Forward(input, output);
        return output;
    }

    /// <summary>Convenience backward that allocates and returns δ^(l−1).</summary>
    /// <param name="input">y^(l−1) as passed to the last Forward.</param>
    /// <param name="output">y^(l) from the last Forward.</param>
    /// <param name="outputGradient">δ^(l).</param>
    /// <returns>δ^(l−1).</returns>
    public Tensor Backward(Tensor input, Tensor output, Tensor outputGradient)
    {
        ThrowHelper.NotNull(input, nameof(input));
        var inputGradient = new Tensor(input.Shape.ToArray());
        Backward(input, output, outputGradient, inputGradient);
        return inputGradient;
    }

    /// <summary>The forward computation; shapes are already validated.</summary>
    /// <param name="input">y^(l−1).</param>
    /// <param name="output">y^(l), to overwrite.</param>
    protected abstract void ForwardCore(Tensor input, Tensor output);

    /// <summary>The backward computation; shapes are already validated and Forward has run.</summary>
    /// <param name="input">y^(l−1).</param>
    /// <param name="output">y^(l).</param>
    /// <param name="outputGradient">δ^(l).</param>
    /// <param name="inputGradient">δ^(l−1) to overwrite, or null.</param>
    protected abstract void BackwardCore(Tensor input, Tensor output, Tensor outputGradient, Tensor? inputGradient);

    /// <summary>
    /// Whether this layer can apply a ReLU that follows it in a container within its own passes, z = max(f(x), 0),
    /// without storing f(x) (containers fuse such a pair; results are bit-identical to the two layers run one after the
    /// other). Off by default.
    /// </summary>
    internal virtual bool AbsorbsReLU => false;

    /// <summary>Forward of this layer followed by a ReLU: <paramref name="output"/> = max(f(input), 0).</summary>
    internal void ForwardReLU(Tensor input, Tensor output) => Forward(input, output, fusedReLU: true);

    /// <summary>Backward of the pair from δz = ∂E/∂z (<paramref name="output"/> is z as written by <see cref="ForwardReLU"/>).</summary>
    internal void BackwardReLU(Tensor input, Tensor output, Tensor outputGradient, Tensor? inputGradient)
    {
        ValidateBackward(input, output, outputGradient, inputGradient);
        BackwardReLUCore(input, output, outputGradient, inputGradient);
    }

    /// <summary>The fused forward (only where <see cref="AbsorbsReLU"/>).</summary>
    private protected virtual void ForwardReLUCore(Tensor input, Tensor output) =>
        throw new NotSupportedException($"{Describe()} does not absorb a ReLU.");

    /// <summary>The fused backward (only where <see cref="AbsorbsReLU"/>).</summary>
    private protected virtual void BackwardReLUCore(Tensor input, Tensor output, Tensor outputGradient, Tensor? inputGradient) =>
        throw new NotSupportedException($"{Describe()} does not absorb a ReLU.");

    private void Forward(Tensor input, Tensor output, bool fusedReLU)
    {
        ThrowHelper.NotNull(input, nameof(input));
        ThrowHelper.NotNull(output, nameof(output));
        ValidateBatch(input, output, nameof(output));
        if (output.AsSpan().Overlaps(input.AsSpan()))
        {
            ThrowHelper.Argument(nameof(output), $"{Describe()}: the output must not share memory with the input.");
        }

        if (fusedReLU)
        {
            ForwardReLUCore(input, output);
        }
        else
        {
            ForwardCore(input, output);
        }

        // The shape Backward must see (a copy only when it changes: no allocation per step).
        if (_forwardShape is null || !input.HasShape(_forwardShape))
        {
            _forwardShape = input.Shape.ToArray();
        }
    }

    private void ValidateBackward(Tensor input, Tensor output, Tensor outputGradient, Tensor? inputGradient)
    {
        ThrowHelper.NotNull(input, nameof(input));
        ThrowHelper.NotNull(output, nameof(output));
        ThrowHelper.NotNull(outputGradient, nameof(outputGradient));
        if (_forwardShape is null || !input.HasShape(_forwardShape))
        {
            // The caches of the last Forward (argmax, statistics, column buffers) belong to that input's shape.
            string last = _forwardShape is null ? "none" : ThrowHelper.Shape(_forwardShape);
            ThrowHelper.InvalidOperation($"{Describe()}: Backward was called before Forward for this batch (input {ThrowHelper.Shape(input.Shape)}, last Forward {last}); run Forward first.");
        }

        ValidateBatch(input, output, nameof(output));
        if (!outputGradient.HasShape(output.Shape))
        {
            ThrowHelper.Argument(nameof(outputGradient), $"{Describe()}: δ^(l) must have the output's shape {ThrowHelper.Shape(output.Shape)}; actual {ThrowHelper.Shape(outputGradient.Shape)}.");
        }

        if (inputGradient is not null && !inputGradient.HasShape(input.Shape))
        {
            ThrowHelper.Argument(nameof(inputGradient), $"{Describe()}: δ^(l−1) must have the input's shape {ThrowHelper.Shape(input.Shape)}; actual {ThrowHelper.Shape(inputGradient.Shape)}.");
        }
    }

    /// <summary>Makes <paramref name="owner"/> the one owner of this layer.</summary>
    /// <param name="owner">The network or container.</param>
    /// <param name="paramName">The argument that passed the layer, for the message.</param>
    internal void Claim(object owner, string paramName)
    {
        lock (this)
        {
            if (Owner is not null && !ReferenceEquals(Owner, owner))
            {
                ThrowHelper.Argument(paramName, $"{Describe()} already belongs to another network or block; a layer has one owner (create a new instance, or copy the weights).");
            }

            if (ReferenceEquals(Owner, owner))
            {
                ThrowHelper.Argument(paramName, $"{Describe()} is already part of this network or block; a layer appears once.");
            }

            Owner = owner;
        }
    }

    /// <summary>Gives the layer up: it may then be added to another network or block.</summary>
    /// <param name="owner">The current owner.</param>
    internal void Release(object owner)
    {
        lock (this)
        {
            if (ReferenceEquals(Owner, owner))
            {
                Owner = null;
            }
        }
    }

    /// <summary>"Conv2D 'conv1'": the type and name, for messages.</summary>
    /// <returns>A description of this layer.</returns>
    protected internal string Describe() => Name == GetType().Name ? Name : $"{GetType().Name} '{Name}'";

    /// <summary>Throws an <see cref="ArgumentException"/> whose message names this layer.</summary>
    /// <param name="paramName">The offending parameter.</param>
    /// <param name="message">What was expected and what was found.</param>
    protected void Fail(string paramName, string message) => ThrowHelper.Argument(paramName, $"{Describe()}: {message}");

    internal static int[] BatchShape(int batch, ReadOnlySpan<int> sample)
    {
        var s = new int[sample.Length + 1];
        s[0] = batch;
        sample.CopyTo(s.AsSpan(1));
        return s;
    }

    private void ValidateBatch(Tensor input, Tensor output, string outputName)
    {
        if (input.Rank < 2)
        {
            Fail(nameof(input), $"input must be batch-first [N, …]; actual shape {ThrowHelper.Shape(input.Shape)}.");
        }

        ReadOnlySpan<int> sample = input.Shape[1..];
        if (!sample.SequenceEqual(_inputShape))
        {
            _outputShape = GetOutputShape(sample);
            _inputShape = sample.ToArray();
        }

        if (output.Rank != _outputShape.Length + 1 || output.Shape[0] != input.Shape[0] || !output.Shape[1..].SequenceEqual(_outputShape))
        {
            ThrowHelper.Argument(outputName, $"{Describe()}: output must have shape {ThrowHelper.Shape(BatchShape(input.Shape[0], _outputShape))} for input {ThrowHelper.Shape(input.Shape)}; actual {ThrowHelper.Shape(output.Shape)}.");
        }
    }
}
