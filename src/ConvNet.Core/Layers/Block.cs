using System;
using System.Collections.Generic;

namespace ConvNet.Layers;

/// <summary>
/// A layer made of child layers that it owns (Keras' nested models, PyTorch's container modules): the plumbing that
/// <see cref="Sequential"/>, <see cref="Residual"/>, <see cref="Concat"/> and <see cref="Add"/> share. It claims its
/// children (a layer has one owner), lists their parameters and buffers in order, initializes them in order from one
/// generator, and passes the mode and the thread count down. Derive from it for a block of your own.
/// </summary>
public abstract class Block : Layer
{
    private readonly List<Layer> _children = [];
    private Parameter[]? _parameters;
    private StateBuffer[]? _buffers;

    /// <summary>Creates the block and claims its children.</summary>
    /// <param name="name">The display name.</param>
    /// <param name="children">The children, in order.</param>
    protected Block(string name, IEnumerable<Layer> children)
        : base(name)
    {
        ThrowHelper.NotNull(children, nameof(children));
        foreach (var c in children)
        {
            AddChild(c, nameof(children));
        }
    }

    /// <inheritdoc />
    public override IReadOnlyList<Layer> Children => _children;

    /// <inheritdoc />
    public override IReadOnlyList<Parameter> Parameters => _parameters ??= Collect(static l => l.Parameters);

    /// <inheritdoc />
    public override IReadOnlyList<StateBuffer> Buffers => _buffers ??= CollectBuffers();

    /// <summary>Initializes every child, in order, from the one generator.</summary>
    /// <param name="random">The source of randomness.</param>
    public override void Initialize(Random random)
    {
        foreach (var c in _children)
        {
            c.Initialize(random);
        }
    }

    /// <summary>Forgets the collected parameter and buffer lists (a lazy child created its weights), up the tree.</summary>
    internal void ParametersChanged()
    {
        _parameters = null;
        _buffers = null;
        (Owner as Block)?.ParametersChanged();
    }

    /// <summary>The key of child <paramref name="index"/> in parameter names (default: its index), e.g. "body".</summary>
    /// <param name="index">The child's index.</param>
    /// <returns>The key.</returns>
    public virtual string ChildKey(int index) => index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Claims and appends a child.</summary>
    /// <param name="child">The child.</param>
    /// <param name="paramName">The argument that passed it, for messages.</param>
    protected void AddChild(Layer child, string paramName)
    {
        ThrowHelper.NotNull(child, paramName);
        if (Owner is not null)
        {
            ThrowHelper.InvalidOperation($"{Describe()} already belongs to a network or block; add its children before adding it.");
        }

        child.Claim(this, paramName);
        child.DegreeOfParallelism = DegreeOfParallelism;
        child.SetTraining(IsTraining);
        _children.Add(child);
        _parameters = null;
        _buffers = null;
    }

    private Parameter[] Collect(Func<Layer, IReadOnlyList<Parameter>> select)
    {
        var list = new List<Parameter>();
        foreach (var c in _children)
        {
            list.AddRange(select(c));
        }

        return list.ToArray();
    }

    private StateBuffer[] CollectBuffers()
    {
        var list = new List<StateBuffer>();
        foreach (var c in _children)
        {
            list.AddRange(c.Buffers);
        }

        return list.ToArray();
    }
}
