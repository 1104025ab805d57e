using System;
using System.Collections.Generic;
using System.Threading;
using ConvNet.Layers;

namespace ConvNet;

// The passes: training Forward/Backward over the owned workspaces, and Predict (inference, serialized).
public sealed partial class Network
{
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
            for (int last = _layers.Count - 1; last >= 0; last--)
            {
                token.ThrowIfCancellationRequested();
                bool fused = last > 0 && Layer.FusesWithNext(_layers, last - 1);
                int l = fused ? last - 1 : last;
                Tensor input = l == 0 ? _lastInput : ws.Activations[l - 1];
                Tensor? inputGradient = l == 0 ? null : deltas[l - 1];
                if (fused)
                {
                    _layers[l].BackwardReLU(input, ws.Activations[last], delta, inputGradient);
                }
                else
                {
                    _layers[l].Backward(input, ws.Activations[l], delta, inputGradient);
                }

                if (inputGradient is not null)
                {
                    delta = inputGradient;
                }

                last = l;
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

        SetPredicting(true);
        try
        {
            int n = input.Shape[0];
            if (n <= PredictChunk)
            {
                var ws = Prepare(input);
                RunForward(ws, input, predicting: true);
                ws.Activations[^1].AsSpan().CopyTo(output.AsSpan());
                return;
            }

            for (int start = 0; start < n; start += PredictChunk)
            {
                int count = Math.Min(PredictChunk, n - start);
                var x = input.Slice(start, count);
                var ws = Prepare(x);
                RunForward(ws, x, predicting: true);
                ws.Activations[^1].AsSpan().CopyTo(output.Slice(start, count).AsSpan());
            }
        }
        finally
        {
            SetPredicting(false);
            if (training)
            {
                SetLayerModes(true);
            }
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

    private void RunForward(Workspace ws, Tensor input, CancellationToken token = default, bool predicting = false)
    {
        Tensor x = input;
        for (int l = 0; l < _layers.Count; l++)
        {
            token.ThrowIfCancellationRequested();

            // BatchNorm → ReLU in one pass, and in a prediction convolution → BatchNorm (→ ReLU): the outputs in
            // between are not written (Sequential does the same).
            int run = Layer.ForwardRunLength(_layers, l, predicting);
            Layer.ForwardRun(_layers, l, run, x, ws.Activations[l + run - 1]);
            l += run - 1;
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
