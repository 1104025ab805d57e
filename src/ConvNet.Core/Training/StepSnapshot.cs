using System;
using System.Collections.Generic;
using ConvNet.Optimizers;

namespace ConvNet.Training;

/// <summary>
/// A copy of everything a training step changes — every parameter's value, every state buffer (BatchNorm's running
/// statistics, moved by the training Forward), the optimizer's per-parameter state and its step count — taken before a
/// step so <see cref="DivergencePolicy.SkipBatch"/> can undo a step that diverged. The copies are allocated once and
/// reused; taking and restoring one is a memory copy of the model and its optimizer state. Layer-internal random
/// generators (Dropout) are not part of it: they advance as for any other batch. Without an optimizer it holds the
/// model alone (what <see cref="EarlyStopping"/> keeps of the best epoch).
/// </summary>
internal sealed class StepSnapshot
{
    private readonly List<(float[] Live, float[] Copy)> _arrays = [];
    private readonly List<(Tensor Live, float[] Copy)> _tensors = [];
    private readonly Optimizer? _optimizer;
    private long _steps;

    /// <param name="network">The network.</param>
    /// <param name="optimizer">The optimizer whose state to keep too, or null.</param>
    /// <param name="parameters">False to keep the state buffers alone (what a cancelled half step moved).</param>
    public StepSnapshot(Network network, Optimizer? optimizer, bool parameters = true)
    {
        _optimizer = parameters ? optimizer : null;
        foreach (var p in parameters ? network.Parameters : [])
        {
            _tensors.Add((p.Value, new float[p.Value.Length]));

            // Creating the state now only does early what the first Step would do (zero-filled buffers).
            if (optimizer is not null)
            {
                foreach (var s in optimizer.State(p))
                {
                    _arrays.Add((s, new float[s.Length]));
                }
            }
        }

        foreach (var (_, b) in network.NamedBuffers)
        {
            _tensors.Add((b.Value, new float[b.Value.Length]));
        }
    }

    /// <summary>Copies the live values into the snapshot.</summary>
    public void Take()
    {
        foreach (var (live, copy) in _tensors)
        {
            live.AsSpan().CopyTo(copy);
        }

        foreach (var (live, copy) in _arrays)
        {
            live.CopyTo(copy, 0);
        }

        _steps = _optimizer?.Steps ?? 0;
    }

    /// <summary>Puts the snapshot back.</summary>
    public void Restore()
    {
        foreach (var (live, copy) in _tensors)
        {
            copy.AsSpan().CopyTo(live.AsSpan());
        }

        foreach (var (live, copy) in _arrays)
        {
            copy.CopyTo(live, 0);
        }

        if (_optimizer is not null)
        {
            _optimizer.Steps = _steps;
        }
    }
}
