#nullable enable

using System;
using System.Collections.Generic;
using Stateless;

namespace SteerLM.Npc.Characters
{
    public sealed partial class NpcMood
    {
        /// <summary>The machine's states: the seven moods (same values as <see cref="Mood"/>) and three superstates that group them.</summary>
        private enum MoodState
        {
            Calm = Mood.Calm,
            Happy = Mood.Happy,
            Amused = Mood.Amused,
            Annoyed = Mood.Annoyed,
            Angry = Mood.Angry,
            Afraid = Mood.Afraid,
            Sad = Mood.Sad,

            /// <summary>Calm, happy or amused: at ease.</summary>
            AtEase = 100,

            /// <summary>Annoyed or angry.</summary>
            Hostile = 101,

            /// <summary>Afraid or sad.</summary>
            Distressed = 102,
        }

        /// <summary>One outcome of an event: go to a mood (or stay and feel it more) when a temperament condition holds.</summary>
        private readonly struct Rule
        {
            public Rule(Mood? to, Func<Temperament, bool> when, string description)
            {
                To = to;
                When = when;
                Description = description;
            }

            /// <summary>Destination mood; null means the event is ignored.</summary>
            public Mood? To { get; }

            public Func<Temperament, bool> When { get; }

            public string Description { get; }
        }

        /// <summary>
        /// The mood's rules: for each (mood, game event), the outcomes in order; the first whose condition the temperament
        /// meets wins. The one source of truth: <see cref="Configure"/> turns it into the machine's transitions and
        /// <see cref="Peek"/> reads it to answer "where would this event take me" without firing anything.
        /// </summary>
        private static readonly Dictionary<(Mood From, MoodEvent Event), Rule[]> Rules = BuildRules();

        private static Rule Go(Mood to, string description, Func<Temperament, bool>? when = null) => new Rule(to, when ?? (_ => true), description);

        private static Rule Shrug(string description) => new Rule(null, _ => true, description);

        private static Func<Temperament, bool> Reacts(Mood mood, float atLeast) => t => t[mood].Reactivity >= atLeast;

        private static Dictionary<(Mood From, MoodEvent Event), Rule[]> BuildRules()
        {
            var rules = new Dictionary<(Mood From, MoodEvent Event), Rule[]>();
            void On(Mood from, MoodEvent gameEvent, params Rule[] outcomes) => rules.Add((from, gameEvent), outcomes);

            // Danger: the same everywhere, decided by whether fear or anger comes more easily.
            foreach (Mood mood in Enum.GetValues(typeof(Mood)))
            {
                On(mood, MoodEvent.Attacked,
                    Go(Mood.Afraid, "fear comes easier than anger (afraid reactivity >= angry)", t => t[Mood.Afraid].Reactivity >= t[Mood.Angry].Reactivity),
                    Go(Mood.Angry, "fights back"));
                On(mood, MoodEvent.Threatened,
                    Go(Mood.Afraid, "timid: threats frighten (afraid reactivity >= 0.5)", Reacts(Mood.Afraid, 0.5f)),
                    Go(Mood.Angry, "touchy: threats enrage (angry reactivity >= 0.5)", Reacts(Mood.Angry, 0.5f)),
                    Go(Mood.Annoyed, "bold: threats only irritate"));
            }

            // At ease: calm, happy, amused.
            foreach (var mood in new[] { Mood.Calm, Mood.Happy, Mood.Amused })
            {
                On(mood, MoodEvent.Greeted,
                    Go(Mood.Happy, "cheerful: glad of company (happy reactivity >= 0.6)", Reacts(Mood.Happy, 0.6f)),
                    Shrug("reserved: a greeting changes nothing"));
                On(mood, MoodEvent.Complimented,
                    Go(Mood.Happy, "takes compliments well (happy reactivity >= 0.2)", Reacts(Mood.Happy, 0.2f)),
                    Shrug("indifferent to flattery"));
                On(mood, MoodEvent.Joked,
                    Go(Mood.Amused, "enjoys a joke (amused reactivity >= 0.3)", Reacts(Mood.Amused, 0.3f)),
                    Go(Mood.Annoyed, "no patience for jokes (annoyed reactivity >= 0.7)", Reacts(Mood.Annoyed, 0.7f)),
                    Shrug("does not get the joke"));
                On(mood, MoodEvent.Insulted,
                    Go(Mood.Angry, "hot-tempered: insults go straight to anger (angry reactivity >= 0.6)", Reacts(Mood.Angry, 0.6f)),
                    Go(Mood.Sad, "sensitive: insults wound (sad reactivity >= 0.6)", Reacts(Mood.Sad, 0.6f)),
                    Go(Mood.Annoyed, "takes offence (annoyed reactivity >= 0.2)", Reacts(Mood.Annoyed, 0.2f)),
                    Shrug("thick-skinned: shrugs it off"));
                On(mood, MoodEvent.Helped, Go(Mood.Happy, "grateful for help"));
                On(mood, MoodEvent.Gifted, Go(Mood.Happy, "pleased with a gift"));
                On(mood, MoodEvent.Ignored,
                    Go(Mood.Annoyed, "wants attention (annoyed reactivity >= 0.6)", Reacts(Mood.Annoyed, 0.6f)),
                    Go(Mood.Sad, "feels slighted (sad reactivity >= 0.6)", Reacts(Mood.Sad, 0.6f)),
                    Shrug("does not mind being ignored"));
            }

            // Hostile: annoyed and angry.
            On(Mood.Annoyed, MoodEvent.Greeted, Shrug("still annoyed: a greeting changes nothing"));
            On(Mood.Annoyed, MoodEvent.Complimented,
                Go(Mood.Happy, "won over by kind words (happy reactivity >= 0.5)", Reacts(Mood.Happy, 0.5f)),
                Shrug("not so easily flattered"));
            On(Mood.Annoyed, MoodEvent.Joked,
                Go(Mood.Amused, "a good joke breaks the ice (amused reactivity >= 0.7)", Reacts(Mood.Amused, 0.7f)),
                Go(Mood.Annoyed, "jokes grate"));
            On(Mood.Annoyed, MoodEvent.Insulted,
                Go(Mood.Angry, "a second insult is too much (angry reactivity >= 0.3)", Reacts(Mood.Angry, 0.3f)),
                Go(Mood.Annoyed, "patient even now: more annoyed"));
            On(Mood.Annoyed, MoodEvent.Helped, Go(Mood.Happy, "help wins them over"));
            On(Mood.Annoyed, MoodEvent.Gifted, Go(Mood.Happy, "a gift wins them over"));
            On(Mood.Annoyed, MoodEvent.Ignored, Go(Mood.Annoyed, "being ignored grates"));

            On(Mood.Angry, MoodEvent.Greeted, Shrug("too angry for pleasantries"));
            On(Mood.Angry, MoodEvent.Complimented,
                Go(Mood.Annoyed, "flattery takes the edge off (angry reactivity < 0.8)", t => t[Mood.Angry].Reactivity < 0.8f),
                Shrug("too angry to listen"));
            On(Mood.Angry, MoodEvent.Joked, Go(Mood.Angry, "jokes make it worse"));
            On(Mood.Angry, MoodEvent.Insulted, Go(Mood.Angry, "more fuel on the fire"));
            On(Mood.Angry, MoodEvent.Helped, Go(Mood.Annoyed, "help softens anger"));
            On(Mood.Angry, MoodEvent.Gifted, Go(Mood.Annoyed, "a gift softens anger"));
            On(Mood.Angry, MoodEvent.Ignored, Go(Mood.Angry, "being ignored feeds the anger"));

            // Distressed: afraid and sad.
            On(Mood.Afraid, MoodEvent.Greeted, Shrug("too frightened to care"));
            On(Mood.Afraid, MoodEvent.Complimented, Shrug("too frightened to care"));
            On(Mood.Afraid, MoodEvent.Joked, Shrug("too frightened to laugh"));
            On(Mood.Afraid, MoodEvent.Insulted,
                Go(Mood.Angry, "fear turns to anger (angry reactivity >= 0.6)", Reacts(Mood.Angry, 0.6f)),
                Go(Mood.Afraid, "cowed further"));
            On(Mood.Afraid, MoodEvent.Helped, Go(Mood.Happy, "relieved to be helped"));
            On(Mood.Afraid, MoodEvent.Gifted, Go(Mood.Calm, "a gift reassures"));
            On(Mood.Afraid, MoodEvent.Ignored, Shrug("glad to be left alone"));

            On(Mood.Sad, MoodEvent.Greeted,
                Go(Mood.Happy, "cheered by company (happy reactivity >= 0.6)", Reacts(Mood.Happy, 0.6f)),
                Shrug("too sad to respond"));
            On(Mood.Sad, MoodEvent.Complimented,
                Go(Mood.Happy, "cheered by kind words (happy reactivity >= 0.4)", Reacts(Mood.Happy, 0.4f)),
                Shrug("kind words do not reach them"));
            On(Mood.Sad, MoodEvent.Joked,
                Go(Mood.Amused, "a joke lifts the gloom (amused reactivity >= 0.5)", Reacts(Mood.Amused, 0.5f)),
                Shrug("not in the mood for jokes"));
            On(Mood.Sad, MoodEvent.Insulted,
                Go(Mood.Angry, "hurt turns to anger (angry reactivity >= 0.6)", Reacts(Mood.Angry, 0.6f)),
                Go(Mood.Sad, "wounded further"));
            On(Mood.Sad, MoodEvent.Helped, Go(Mood.Happy, "comforted by help"));
            On(Mood.Sad, MoodEvent.Gifted, Go(Mood.Happy, "comforted by a gift"));
            On(Mood.Sad, MoodEvent.Ignored, Go(Mood.Sad, "feels more alone"));

            return rules;
        }

        /// <summary>Index of the rule that decides: the first whose condition the temperament meets, or -1 when none does.</summary>
        private static int Deciding(Rule[] rules, Temperament temperament)
        {
            for (var i = 0; i < rules.Length; i++)
            {
                if (rules[i].When(temperament))
                {
                    return i;
                }
            }

            return -1;
        }

        /// <summary>Where a game event would take the mood now, read from <see cref="Rules"/>; fires nothing and changes nothing.</summary>
        internal Mood Peek(MoodEvent gameEvent)
        {
            if (!Rules.TryGetValue((Current, gameEvent), out var rules))
            {
                throw NoRule((MoodState)Current, gameEvent);
            }

            var index = Deciding(rules, Temperament);
            if (index < 0)
            {
                throw NoRule((MoodState)Current, gameEvent);
            }

            return rules[index].To ?? Current;
        }

        private static InvalidOperationException NoRule(MoodState state, MoodEvent trigger) =>
            new InvalidOperationException($"NpcMood has no rule for {trigger} in {state}: a gap in the rule table (NpcMood.Transitions.cs).");

        private void Configure()
        {
            // A trigger nothing handles is a gap in the table: fail loudly rather than ignore the event.
            _machine.OnUnhandledTrigger((state, trigger) => throw NoRule(state, trigger));
            _machine.OnTransitioned(OnTransitioned);

            _machine.Configure(MoodState.AtEase);
            _machine.Configure(MoodState.Hostile);
            _machine.Configure(MoodState.Distressed);
            foreach (var mood in new[] { MoodState.Calm, MoodState.Happy, MoodState.Amused })
            {
                _machine.Configure(mood).SubstateOf(MoodState.AtEase);
            }

            _machine.Configure(MoodState.Annoyed).SubstateOf(MoodState.Hostile);
            _machine.Configure(MoodState.Angry).SubstateOf(MoodState.Hostile);
            _machine.Configure(MoodState.Afraid).SubstateOf(MoodState.Distressed);
            _machine.Configure(MoodState.Sad).SubstateOf(MoodState.Distressed);

            // In enum order, so the graph lists each mood's transitions together and the same way every time.
            foreach (Mood mood in Enum.GetValues(typeof(Mood)))
            {
                foreach (MoodEvent gameEvent in Enum.GetValues(typeof(MoodEvent)))
                {
                    if (Rules.TryGetValue((mood, gameEvent), out var rules))
                    {
                        On(mood, gameEvent, rules);
                    }
                }
            }

            // Time: anger cools into annoyance, and every reaction returns to the resting mood.
            _machine.Configure(MoodState.Angry).Permit(MoodEvent.CooledDown, MoodState.Annoyed);
            foreach (Mood mood in Enum.GetValues(typeof(Mood)))
            {
                if (mood != RestingMood)
                {
                    _machine.Configure((MoodState)mood).Permit(MoodEvent.Settled, (MoodState)RestingMood);
                }
            }
        }

        /// <summary>
        /// Registers the outcomes of one event in one mood. Each guard holds only when its rule is the deciding one, so the
        /// guards are mutually exclusive and the first matching rule wins, as in <see cref="Peek"/>. Staying in the same
        /// mood is an internal transition that strengthens it.
        /// </summary>
        private void On(Mood from, MoodEvent gameEvent, Rule[] rules)
        {
            var config = _machine.Configure((MoodState)from);
            for (var i = 0; i < rules.Length; i++)
            {
                var index = i;
                var rule = rules[i];
                bool Guard() => Deciding(rules, Temperament) == index;
                if (rule.To == null)
                {
                    config.IgnoreIf(gameEvent, Guard, rule.Description);
                }
                else if (rule.To == from)
                {
                    config.InternalTransitionIf(gameEvent, _ => Guard(), _ => Strengthen(from, gameEvent), rule.Description);
                }
                else
                {
                    config.PermitIf(gameEvent, (MoodState)rule.To.Value, Guard, rule.Description);
                }
            }
        }

        private void Strengthen(Mood mood, MoodEvent gameEvent) =>
            _intensity = Math.Min(1f, _intensity + 0.5f * Impulse(gameEvent, mood));

        /// <summary>
        /// Sets the intensity a game event brings (time-driven changes have set theirs before firing) and records the
        /// change; <see cref="Fire"/> raises <see cref="Changed"/> once the machine has finished.
        /// </summary>
        private void OnTransitioned(StateMachine<MoodState, MoodEvent>.Transition transition)
        {
            if (transition.Source == transition.Destination)
            {
                return;
            }

            var to = (Mood)transition.Destination;
            if (transition.Trigger != MoodEvent.Settled && transition.Trigger != MoodEvent.CooledDown)
            {
                _intensity = to == Mood.Calm ? RestIntensityOf(Mood.Calm) : Impulse(_pendingCause, to);
            }

            _transition = new MoodChange((Mood)transition.Source, to, transition.Trigger, _intensity);
        }
    }
}
