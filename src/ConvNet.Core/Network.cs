using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Threading;
using ConvNet.Layers;

namespace ConvNet;

/// <summary>
/// A sequential network y^(L) = f_L(… f_1(x)): the lecture's layer decomposition. Shapes are inferred as layers are
/// added, so a layer that does not fit its input fails at <see cref="Add"/> with both layers and shapes in the message.
/// The network owns every activation and δ buffer, allocated once per batch size, so a training step allocates nothing.
/// </summary>
/// <remarks>
/// Forward/Backward are the training API: Forward keeps the activations that Backward needs. Predict may be called from
/// many threads at once (calls are serialized); calling Predict between a training Forward and its Backward throws
/// <see cref="InvalidOperationException"/> instead of corrupting the step.
/// </remarks>
public sealed class Network
{
    private readonly List<Layer> _layers = [];
    private readonly List<int[]> _shapes = [];
    private readonly Dictionary<int, Workspace> _workspaces = [];
    private readonly Lock _sync = new();
    private Parameter[]? _parameters;
    private Workspace? _current;
    private Tensor? _lastInput;
    private bool _backwardPending;
    private int _degreeOfParallelism = Environment.ProcessorCount;
    private bool _training = true;
    private (List<(string, Parameter)> Parameters, List<(string, StateBuffer)> Buffers)? _named;

    /// <summary>Creates an empty network for samples of the given shape, e.g. [1, 28, 28].</summary>
    /// <param name="inputShape">The per-sample input shape (no batch dimension), rank 1 to 4.</param>
    public Network(params int[] inputShape)
    {
        ThrowHelper.NotNull(inputShape, nameof(inputShape));
        if (inputShape.Length is < 1 or > Tensor.MaxRank - 1)
        {
            ThrowHelper.Argument(nameof(inputShape), $"A sample has rank 1 to {Tensor.MaxRank - 1}; actual {ThrowHelper.Shape(inputShape)}.");
        }

        foreach (int d in inputShape)
        {
            if (d <= 0)
            {
                ThrowHelper.Argument(nameof(inputShape), $"Every dimension must be positive; actual {ThrowHelper.Shape(inputShape)}.");
            }
        }

        _shapes.Add((int[])inputShape.Clone());
    }

    /// <summary>The largest batch <see cref="Predict(Tensor)"/> runs at once; larger inputs go through in chunks of this size.</summary>
    public const int PredictChunk = 256;

    /// <summary>The per-sample input shape.</summary>
    public ReadOnlySpan<int> InputShape => _shapes[0];

    /// <summary>The lock that serializes Forward/Backward/Predict; the trainer holds it across a whole step (re-entrant).</summary>
    internal Lock SyncRoot => _sync;

    /// <summary>The per-sample output shape of the last layer (the input shape when empty).</summary>
    public ReadOnlySpan<int> OutputShape => _shapes[^1];

    /// <summary>The layers, first to last.</summary>
    public IReadOnlyList<Layer> Layers => _layers;

    /// <summary>Every trainable parameter, layer by layer (a cached list: reading it allocates nothing).</summary>
    public IReadOnlyList<Parameter> Parameters
    {
        get
        {
            if (_parameters is null)
            {
                var list = new List<Parameter>();
                foreach (var l in _layers)
                {
                    list.AddRange(l.Parameters);
                }

                _parameters = list.ToArray();
            }

            return _parameters;
        }
    }

    /// <summary>The number of trainable values (masked connections excluded).</summary>
    public int ParameterCount
    {
        get
        {
            int n = 0;
            foreach (var p in Parameters)
            {
                n += p.TrainableCount;
            }

            return n;
        }
    }

    /// <summary>Threads the layers may use (default: all cores); set 1 for a server that runs many networks.</summary>
    public int DegreeOfParallelism
    {
        get => _degreeOfParallelism;
        set
        {
            ThrowHelper.Positive(value, nameof(value));
            _degreeOfParallelism = value;
            foreach (var l in _layers)
            {
                l.DegreeOfParallelism = value;
            }
        }
    }

    /// <summary>Appends a layer after checking that it accepts the current output shape.</summary>
    /// <param name="layer">The layer.</param>
    /// <returns>This network, for chaining.</returns>
    /// <exception cref="ArgumentException">The layer does not fit; the message names both layers and the shapes.</exception>
    public Network Add(Layer layer)
    {
        ThrowHelper.NotNull(layer, nameof(layer));
        lock (_sync)
        {
            ThrowIfTraining();
            if (_layers.Contains(layer))
            {
                ThrowHelper.Argument(nameof(layer), $"Layer '{layer.Name}' is already part of this network.");
            }

            int[] output;
            try
            {
                output = layer.GetOutputShape(_shapes[^1]);
            }
            catch (ArgumentException e)
            {
                string previous = _layers.Count == 0 ? "the network input" : $"layer {_layers.Count - 1} '{_layers[^1].Name}'";
                throw new ArgumentException(
                    $"Layer {_layers.Count} '{layer.Name}' does not fit the output {ThrowHelper.Shape(_shapes[^1])} of {previous}: {e.Message}", nameof(layer), e);
            }

            if (output.Length + 1 > Tensor.MaxRank)
            {
                ThrowHelper.Argument(nameof(layer), $"Layer '{layer.Name}' produces rank {output.Length}, more than a batch can hold.");
            }

            layer.Claim(this, nameof(layer));
            layer.DegreeOfParallelism = _degreeOfParallelism;
            layer.SetTraining(_training);
            _layers.Add(layer);
            _parameters = null;
            _named = null;
            _shapes.Add(output);
            _workspaces.Clear();
            _current = null;
        }

        return this;
    }

    /// <summary>
    /// Removes and returns the last layer, e.g. to replace an imported model's classifier head
    /// (<c>net.RemoveLast(); net.Add(new FullyConnected(84, 5));</c>, PyTorch's <c>model.fc = nn.Linear(…)</c>). The layer
    /// no longer belongs to the network and may be added elsewhere; an optimizer's state for its parameters is not touched.
    /// </summary>
    /// <returns>The removed layer.</returns>
    /// <exception cref="InvalidOperationException">The network has no layers, or a training step is in progress.</exception>
    public Layer RemoveLast()
    {
        lock (_sync)
        {
            ThrowIfTraining();
            if (_layers.Count == 0)
            {
                ThrowHelper.InvalidOperation("The network has no layers to remove.");
            }

            var layer = _layers[^1];
            _layers.RemoveAt(_layers.Count - 1);
            _shapes.RemoveAt(_shapes.Count - 1);
            layer.Release(this);
            _parameters = null;
            _named = null;
            _workspaces.Clear();
            _current = null;
            _lastInput = null;
            return layer;
        }
    }

    /// <summary>
    /// Whether the network is in training mode (the default, as in PyTorch): <see cref="Forward(Tensor)"/> then uses batch
    /// statistics in BatchNorm and drops in Dropout. <see cref="Predict(Tensor)"/> always runs in inference mode.
    /// </summary>
    public bool IsTraining => _training;

    /// <summary>Switches every layer to training (true, PyTorch's <c>train()</c>) or inference (false, <c>eval()</c>) mode.</summary>
    /// <param name="training">The mode.</param>
    public void SetTraining(bool training)
    {
        lock (_sync)
        {
            ThrowIfTraining();
            _training = training;
            foreach (var l in _layers)
            {
                l.SetTraining(training);
            }
        }
    }

    /// <summary>
    /// Every parameter with its unique dotted name, as PyTorch's <c>named_parameters()</c>: <c>layers.{i}.weight</c> for
    /// a layer of the network, <c>layers.{i}.{child key}.….weight</c> inside blocks (e.g. <c>layers.3.0.body.0.weight</c>).
    /// </summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> NamedParameters
    {
        get
        {
            EnsureNames();
            return _named!.Value.Parameters;
        }
    }

    /// <summary>Every state buffer (e.g. BatchNorm's running statistics) with its unique dotted name.</summary>
    public IReadOnlyList<(string Name, StateBuffer Buffer)> NamedBuffers
    {
        get
        {
            EnsureNames();
            return _named!.Value.Buffers;
        }
    }

    /// <summary>
    /// Drops the activation buffers kept for each batch size (they are made again on the next call), e.g. after a large
    /// inference. Layers keep their own bounded per-chunk caches.
    /// </summary>
    public void ReleaseWorkspaces()
    {
        lock (_sync)
        {
            ThrowIfTraining();
            _workspaces.Clear();
            _current = null;
        }
    }

    /// <summary>The per-sample output shape of layer <paramref name="index"/>.</summary>
    /// <param name="index">0..Layers.Count−1.</param>
    /// <returns>The shape.</returns>
    public int[] LayerOutputShape(int index)
    {
        if ((uint)index >= (uint)_layers.Count)
        {
            ThrowHelper.OutOfRange(nameof(index), index, $"Layer index {index} is outside 0..{_layers.Count - 1}.");
        }

        return (int[])_shapes[index + 1].Clone();
    }

    /// <summary>Re-initializes every layer's parameters from one seeded generator, in layer order.</summary>
    /// <param name="seed">The seed: the same seed gives the same weights.</param>
    public void Initialize(int seed)
    {
        var rng = new Random(seed);
        foreach (var l in _layers)
        {
            l.Initialize(rng);
        }
    }

    /// <summary>A Keras-style table: layer, output shape, trainable parameters, and the total.</summary>
    /// <returns>The table as text.</returns>
    public string Summary()
    {
        var sb = new StringBuilder();
        const string Rule = "_________________________________________________________________";
        sb.AppendLine(Rule);
        sb.AppendLine(CultureInfo.InvariantCulture, $"{"Layer (type)",-30}{"Output Shape",-22}{"Param #",13}");
        sb.AppendLine(Rule.Replace('_', '='));
        sb.AppendLine(CultureInfo.InvariantCulture, $"{"input",-30}{ShapeText(_shapes[0]),-22}{0,13}");
        for (int i = 0; i < _layers.Count; i++)
        {
            int count = 0;
            foreach (var p in _layers[i].Parameters)
            {
                count += p.TrainableCount;
            }

            string name = _layers[i].Name == _layers[i].GetType().Name ? $"{i} ({_layers[i].GetType().Name})" : $"{_layers[i].Name} ({_layers[i].GetType().Name})";
            sb.AppendLine(CultureInfo.InvariantCulture, $"{name,-30}{ShapeText(_shapes[i + 1]),-22}{count,13:N0}");
        }

        sb.AppendLine(Rule.Replace('_', '='));
        sb.AppendLine(CultureInfo.InvariantCulture, $"Total params: {ParameterCount:N0}");
        sb.Append(Rule);
        return sb.ToString();
    }

    /// <summary>
    /// Training forward pass over a batch [N, …input]: y^(l) = f_l(y^(l−1)) for l = 1..L, in the network's mode
    /// (<see cref="IsTraining"/>). Returns the network-owned output y^(L) [N, …output], valid until the next call.
    /// <paramref name="input"/> must stay unchanged until Backward.
    /// </summary>
    /// <param name="input">x, [N, …InputShape].</param>
    /// <returns>y^(L).</returns>
    public Tensor Forward(Tensor input) => Forward(input, CancellationToken.None);

    /// <summary>Forward that checks <paramref name="token"/> before every layer (the trainer's cancellation).</summary>
    internal Tensor Forward(Tensor input, CancellationToken token)
    {
        lock (_sync)
        {
            var ws = Prepare(input);
            RunForward(ws, input, token);
            _lastInput = input;
            _backwardPending = true;
            return ws.Activations[^1];
        }
    }

    /// <summary>
    /// Training backward pass: from δ^(L) = ∂E/∂y^(L) (from a loss) computes δ^(l−1) for l = L..2 and every parameter's
    /// gradient; the first layer skips δ^(0).
    /// </summary>
    /// <param name="outputGradient">δ^(L), shape of the last Forward's output.</param>
    public void Backward(Tensor outputGradient) => Backward(outputGradient, CancellationToken.None);

    /// <summary>Backward that checks <paramref name="token"/> before every layer; a cancelled step is abandoned with
    /// <see cref="AbandonStep"/>.</summary>
    internal void Backward(Tensor outputGradient, CancellationToken token)
    {
        ThrowHelper.NotNull(outputGradient, nameof(outputGradient));
        lock (_sync)
        {
            if (!_backwardPending || _current is null || _lastInput is null)
            {
                ThrowHelper.InvalidOperation("Network.Backward needs a preceding Network.Forward.");
            }

            var ws = _current;
            if (!outputGradient.HasShape(ws.Activations[^1].Shape))
            {
                ThrowHelper.Argument(nameof(outputGradient), $"δ^(L) must have the output's shape {ThrowHelper.Shape(ws.Activations[^1].Shape)}; actual {ThrowHelper.Shape(outputGradient.Shape)}.");
            }

            var deltas = ws.Deltas(_shapes);
            Tensor delta = outputGradient;
            for (int l = _layers.Count - 1; l >= 0; l--)
            {
                token.ThrowIfCancellationRequested();
                Tensor input = l == 0 ? _lastInput : ws.Activations[l - 1];
                Tensor? inputGradient = l == 0 ? null : deltas[l - 1];
                _layers[l].Backward(input, ws.Activations[l], delta, inputGradient);
                if (inputGradient is not null)
                {
                    delta = inputGradient;
                }
            }

            _backwardPending = false;
        }
    }

    /// <summary>
    /// Inference over a batch in inference mode: returns a new tensor y^(L) [N, …output]. Large batches go through in
    /// chunks of <see cref="PredictChunk"/> samples, so memory beyond the result stays bounded.
    /// </summary>
    /// <param name="input">x, [N, …InputShape].</param>
    /// <returns>The output.</returns>
    public Tensor Predict(Tensor input)
    {
        ThrowHelper.NotNull(input, nameof(input));
        lock (_sync)
        {
            ValidateInput(input);
            var output = new Tensor(Layer.BatchShape(input.Shape[0], _shapes[^1]));
            PredictInto(input, output);
            return output;
        }
    }

    /// <summary>Inference over a batch into a caller-owned destination (no allocation after warm-up).</summary>
    /// <param name="input">x, [N, …InputShape].</param>
    /// <param name="output">Destination, [N, …OutputShape].</param>
    public void Predict(Tensor input, Tensor output)
    {
        ThrowHelper.NotNull(input, nameof(input));
        ThrowHelper.NotNull(output, nameof(output));
        lock (_sync)
        {
            ValidateInput(input);
            if (output.Rank != _shapes[^1].Length + 1 || output.Shape[0] != input.Shape[0] || !output.Shape[1..].SequenceEqual(_shapes[^1]))
            {
                var shape = Layer.BatchShape(input.Shape[0], _shapes[^1]);
                ThrowHelper.Argument(nameof(output), $"Output must have shape {ThrowHelper.Shape(shape)}; actual {ThrowHelper.Shape(output.Shape)}.");
            }

            if (output.AsSpan().Overlaps(input.AsSpan()))
            {
                ThrowHelper.Argument(nameof(output), "Output must not share memory with the input.");
            }

            PredictInto(input, output);
        }
    }

    /// <summary>Inference for one sample given as flat row-major values of <see cref="InputShape"/>.</summary>
    /// <param name="sample">Π InputShape values.</param>
    /// <returns>The output values.</returns>
    public float[] Predict(ReadOnlySpan<float> sample)
    {
        var shape = new int[_shapes[0].Length + 1];
        shape[0] = 1;
        _shapes[0].CopyTo(shape, 1);
        var x = new Tensor(shape);
        if (sample.Length != x.Length)
        {
            ThrowHelper.Argument(nameof(sample), $"A sample has {x.Length} values (shape {ThrowHelper.Shape(_shapes[0])}); actual {sample.Length}.");
        }

        sample.CopyTo(x.AsSpan());
        return Predict(x).ToArray();
    }

    /// <summary>The arg-max class of every sample of a batch (for classification networks with [N, K] output).</summary>
    /// <param name="input">x, [N, …InputShape].</param>
    /// <returns>N class indices.</returns>
    public int[] PredictClasses(Tensor input)
    {
        var y = Predict(input);
        int n = y.Shape[0], k = y.Length / n;
        var result = new int[n];
        for (int s = 0; s < n; s++)
        {
            result[s] = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(y.AsSpan().Slice(s * k, k));
        }

        return result;
    }

    private void PredictInto(Tensor input, Tensor output)
    {
        ThrowIfTraining();
        bool training = _training;
        if (training)
        {
            SetLayerModes(false);
        }

        try
        {
            int n = input.Shape[0];
            if (n <= PredictChunk)
            {
                var ws = Prepare(input);
                RunForward(ws, input);
                ws.Activations[^1].AsSpan().CopyTo(output.AsSpan());
                return;
            }

            for (int start = 0; start < n; start += PredictChunk)
            {
                int count = Math.Min(PredictChunk, n - start);
                var x = input.Slice(start, count);
                var ws = Prepare(x);
                RunForward(ws, x);
                ws.Activations[^1].AsSpan().CopyTo(output.Slice(start, count).AsSpan());
            }
        }
        finally
        {
            if (training)
            {
                SetLayerModes(true);
            }
        }
    }

    private void SetLayerModes(bool training)
    {
        foreach (var l in _layers)
        {
            l.SetTraining(training);
        }
    }

    private void EnsureNames()
    {
        lock (_sync)
        {
            if (_named is not null)
            {
                return;
            }

            var parameters = new List<(string, Parameter)>();
            var buffers = new List<(string, StateBuffer)>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < _layers.Count; i++)
            {
                Name(_layers[i], "layers." + i.ToString(CultureInfo.InvariantCulture), parameters, buffers, seen);
            }

            _named = (parameters, buffers);
        }
    }

    private static void Name(Layer layer, string prefix, List<(string, Parameter)> parameters, List<(string, StateBuffer)> buffers, HashSet<string> seen)
    {
        // A block's own parameters are those its children do not list; each gets prefix.name, children prefix.key.….
        var fromChildren = new HashSet<object>(ReferenceEqualityComparer.Instance);
        foreach (var c in layer.Children)
        {
            foreach (var p in c.Parameters)
            {
                fromChildren.Add(p);
            }

            foreach (var b in c.Buffers)
            {
                fromChildren.Add(b);
            }
        }

        foreach (var p in layer.Parameters)
        {
            if (!fromChildren.Contains(p))
            {
                Unique(prefix + "." + p.Name, seen, layer);
                parameters.Add((prefix + "." + p.Name, p));
            }
        }

        foreach (var b in layer.Buffers)
        {
            if (!fromChildren.Contains(b))
            {
                Unique(prefix + "." + b.Name, seen, layer);
                buffers.Add((prefix + "." + b.Name, b));
            }
        }

        for (int j = 0; j < layer.Children.Count; j++)
        {
            string key = layer is Block block ? block.ChildKey(j) : j.ToString(CultureInfo.InvariantCulture);
            Name(layer.Children[j], prefix + "." + key, parameters, buffers, seen);
        }
    }

    private static void Unique(string name, HashSet<string> seen, Layer layer)
    {
        if (!seen.Add(name))
        {
            ThrowHelper.InvalidOperation($"Two parameters or buffers of {layer.Describe()} are both named '{name}'; names must be unique.");
        }
    }

    private void ThrowIfTraining()
    {
        if (_backwardPending)
        {
            ThrowHelper.InvalidOperation("A training step is in progress on this network (Forward without Backward); Predict would corrupt it. Finish the step or use a separate network instance.");
        }
    }

    /// <summary>Forgets a training step cancelled between its Forward and the end of its Backward (the gradients it
    /// left are overwritten by the next Backward).</summary>
    internal void AbandonStep()
    {
        lock (_sync)
        {
            _backwardPending = false;
        }
    }

    private void RunForward(Workspace ws, Tensor input, CancellationToken token = default)
    {
        Tensor x = input;
        for (int l = 0; l < _layers.Count; l++)
        {
            token.ThrowIfCancellationRequested();
            _layers[l].Forward(x, ws.Activations[l]);
            x = ws.Activations[l];
        }
    }

    private void ValidateInput(Tensor input)
    {
        if (_layers.Count == 0)
        {
            ThrowHelper.InvalidOperation("The network has no layers; Add some first.");
        }

        if (input.Rank != _shapes[0].Length + 1 || !input.Shape[1..].SequenceEqual(_shapes[0]) || input.Shape[0] <= 0)
        {
            ThrowHelper.Argument(nameof(input), $"Input must be [N, {string.Join(", ", _shapes[0])}]; actual {ThrowHelper.Shape(input.Shape)}.");
        }
    }

    private Workspace Prepare(Tensor input)
    {
        ThrowHelper.NotNull(input, nameof(input));
        ValidateInput(input);
        int n = input.Shape[0];
        if (_current is not null && _current.Batch == n)
        {
            return _current;
        }

        if (!_workspaces.TryGetValue(n, out var ws))
        {
            ws = new Workspace(n, _shapes);
            if (_workspaces.Count >= 4)
            {
                _workspaces.Clear();
            }

            _workspaces[n] = ws;
        }

        _current = ws;
        return ws;
    }

    private static string ShapeText(int[] shape) => "(None, " + string.Join(", ", shape) + ")";

    private sealed class Workspace
    {
        private Tensor[]? _deltas;

        public Workspace(int batch, List<int[]> shapes)
        {
            Batch = batch;
            Activations = new Tensor[shapes.Count - 1];
            for (int l = 1; l < shapes.Count; l++)
            {
                Activations[l - 1] = new Tensor(Layer.BatchShape(batch, shapes[l]));
            }
        }

        public int Batch { get; }

        /// <summary>y^(1)..y^(L).</summary>
        public Tensor[] Activations { get; }

        /// <summary>δ^(1)..δ^(L−1), made on the first Backward (inference never needs them).</summary>
        public Tensor[] Deltas(List<int[]> shapes)
        {
            if (_deltas is null)
            {
                var d = new Tensor[shapes.Count - 2];
                for (int l = 1; l < shapes.Count - 1; l++)
                {
                    d[l - 1] = new Tensor(Layer.BatchShape(Batch, shapes[l]));
                }

                _deltas = d;
            }

            return _deltas;
        }
    }
}
