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
public sealed partial class Network
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

    private void SetPredicting(bool predicting)
    {
        for (int i = 0; i < _layers.Count; i++)
        {
            _layers[i].SetPredicting(predicting);
        }
    }

    private void SetLayerModes(bool training)
    {
        foreach (var l in _layers)
        {
            l.SetTraining(training);
        }
    }

    private static string ShapeText(int[] shape) => "(None, " + string.Join(", ", shape) + ")";
}
