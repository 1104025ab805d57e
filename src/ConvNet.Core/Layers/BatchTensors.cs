using System;
using System.Collections.Generic;

namespace ConvNet.Layers;

/// <summary>
/// Tensors of given per-sample shapes for a batch size, made once per batch size and reused (up to four batch sizes
/// are kept, e.g. the training batch, the last partial batch and an evaluation batch), so a step allocates nothing.
/// </summary>
internal sealed class BatchTensors
{
    private const int MaxBatchSizes = 4;
    private readonly List<(int Batch, Tensor[] Tensors)> _sets = [];
    private int[][] _shapes = [];

    /// <summary>Sets the per-sample shapes; drops every cached set when they change.</summary>
    public void SetShapes(int[][] shapes)
    {
        if (SameShapes(shapes))
        {
            return;
        }

        _shapes = shapes;
        _sets.Clear();
    }

    /// <summary>The tensors [batch, …shape_i] for every shape.</summary>
    public Tensor[] For(int batch)
    {
        for (int i = 0; i < _sets.Count; i++)
        {
            if (_sets[i].Batch == batch)
            {
                return _sets[i].Tensors;
            }
        }

        var tensors = new Tensor[_shapes.Length];
        for (int i = 0; i < tensors.Length; i++)
        {
            tensors[i] = new Tensor(Layer.BatchShape(batch, _shapes[i]));
        }

        if (_sets.Count >= MaxBatchSizes)
        {
            _sets.RemoveAt(0);
        }

        _sets.Add((batch, tensors));
        return tensors;
    }

    /// <summary>Drops every cached tensor (they are made again on the next use).</summary>
    public void Release() => _sets.Clear();

    private bool SameShapes(int[][] shapes)
    {
        if (shapes.Length != _shapes.Length)
        {
            return false;
        }

        for (int i = 0; i < shapes.Length; i++)
        {
            if (!shapes[i].AsSpan().SequenceEqual(_shapes[i]))
            {
                return false;
            }
        }

        return true;
    }
}
