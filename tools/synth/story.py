"""The story bank of the page generator: an original western in Italian, written for Nuvola.

"La pista dei fucili": rifles meant for the Navajo reserve vanish, and Tex, Kit Carson, Tiger Jack and
Kit Willer follow them to a masked raider. Scenes run in order, so a generated volume reads as a story:
each scene opens with a caption and has its own setting (the generator draws a matching backdrop).
"""

from __future__ import annotations

from dataclasses import dataclass

Setting = str  # one of SETTINGS

SETTINGS = ("desert", "fort", "saloon", "camp", "canyon", "mine", "village")


@dataclass(frozen=True)
class Beat:
    """One lettered element: a caption (speaker None) or a line of dialogue."""

    speaker: str | None
    text: str


@dataclass(frozen=True)
class Scene:
    """A run of beats in one place; the first beat is the scene's caption."""

    setting: Setting
    caption: str
    lines: tuple[tuple[str, str], ...]

    @property
    def beats(self) -> list[Beat]:
        return [Beat(None, self.caption), *(Beat(speaker, text) for speaker, text in self.lines)]


TITLE = "La pista dei fucili"

SCENES: tuple[Scene, ...] = (
    Scene(
        "desert",
        "Arizona, estate del 1878. Sulla pista di Santa Rita due cavalieri avanzano sotto un sole di fuoco...",
        (
            ("Kit Carson", "Accidenti a questo caldo! Mi sento cuocere come una bistecca sulla brace."),
            ("Tex", "Smetti di brontolare, vecchio mio. Santa Rita è dietro quella collina."),
            ("Kit Carson", "È quello che hai detto tre colline fa!"),
            ("Tex", "Guarda laggiù. Polvere sulla pista... Qualcuno viene verso di noi, e ha fretta."),
            ("Kit Carson", "Un cavaliere solo. Sembra ferito!"),
            ("Tex", "È un soldato della cavalleria. Aiutami a tirarlo giù di sella."),
            (
                "Caporale Briggs",
                "Il carico... i fucili per la riserva... ci hanno assaliti al passo del Corvo...",
            ),
            ("Tex", "Chi è stato? Quanti erano?"),
            (
                "Caporale Briggs",
                "Una dozzina... il capo portava un mantello nero... lo chiamano il Cuervo...",
            ),
            ("Kit Carson", "È svenuto. Ha perso molto sangue, ma se la caverà."),
            ("Tex", "Portiamolo al forte. Poi andremo a dare un'occhiata a quel passo."),
        ),
    ),
    Scene(
        "fort",
        "Intanto, al forte Defiance...",
        (
            (
                "Capitano Morris",
                "Duecento fucili a ripetizione spariti nel nulla! Washington vorrà la mia testa.",
            ),
            ("Kit Willer", "Tiger Jack ha trovato le tracce dei carri, capitano. Puntano verso nord."),
            ("Capitano Morris", "Verso nord? Ma lassù ci sono soltanto rocce e serpenti!"),
            (
                "Tiger Jack",
                "Ci sono anche vecchie miniere abbandonate. Un buon posto per nascondere un carico.",
            ),
            ("Kit Willer", "Papà sarà qui prima di sera. Lui saprà cosa fare."),
            ("Capitano Morris", "Speriamo. Se quei fucili arrivano ai comancheros, il confine brucerà."),
            ("Tex", "Salve, capitano. Vi abbiamo portato un vostro uomo. Ha bisogno del medico."),
            ("Capitano Morris", "Briggs! Era con la scorta dei carri... Grazie, Tex."),
            ("Tex", "Ciao, Kit. Tiger, che cosa dicono le tracce?"),
            ("Tiger Jack", "Dicono che gli uomini del Cuervo conoscono il deserto. Ma non quanto un navajo."),
        ),
    ),
    Scene(
        "saloon",
        "Più tardi, a Santa Rita...",
        (
            ("Barista", "Whisky, signori? La casa offre soltanto il primo giro."),
            ("Kit Carson", "Acqua per me. Ho ancora in gola mezzo deserto."),
            ("Tex", "Cerchiamo un uomo con un mantello nero. Forse l'hai visto passare."),
            ("Barista", "Io non vedo niente e non sento niente, straniero. Così campo più a lungo."),
            ("Lefty Dawson", "Hai sentito il barista, cowboy? Qui le domande portano sfortuna."),
            ("Tex", "Strano. A me portano sempre risposte. Di solito prima che qualcuno si faccia male."),
            ("Lefty Dawson", "Sei proprio un gran chiacchierone... Vediamo se sei anche veloce!"),
            ("Kit Carson", "Troppo lento, amico. Davvero troppo lento."),
            ("Tex", "Adesso parlerai, Lefty. Dove tiene i fucili il Cuervo?"),
            ("Lefty Dawson", "Alla... alla vecchia miniera Esperanza... Ma non ne uscirete vivi!"),
        ),
    ),
    Scene(
        "camp",
        "Quella notte, ai piedi delle Montagne Nere...",
        (
            ("Kit Willer", "Il fuoco è basso, papà. Nessuno lo vedrà dalla pista."),
            ("Tex", "Bene. Domani all'alba saremo alla miniera."),
            ("Tiger Jack", "Il vento porta odore di cavalli. Molti cavalli, a nord."),
            ("Kit Carson", "Allora il nostro amico Lefty non ha mentito. Incredibile!"),
            ("Kit Carson", "Perché tocca sempre a me il turno di guardia più lungo?"),
            ("Tex", "Perché russi troppo forte per dormire vicino agli altri. Farò io il primo turno."),
            ("Kit Willer", "Credi che il Cuervo sia davvero un messicano, papà?"),
            ("Tex", "Credo che sia qualcuno che non vuole farsi riconoscere. E questo mi preoccupa di più."),
        ),
    ),
    Scene(
        "canyon",
        "All'alba, nel canyon della miniera Esperanza...",
        (
            ("Tiger Jack", "Sentinelle sulle rocce. Due a destra, una sopra l'ingresso."),
            ("Tex", "Tiger, tu pensa a quelli di destra. Kit, con me."),
            ("Kit Carson", "E io? Devo restare qui a contare le lucertole?"),
            ("Tex", "Tu coprici le spalle col Winchester, vecchio cammello."),
            ("Jeb Slade", "Sono qui! Fuoco, maledizione! Fuoco!"),
            ("Kit Willer", "Papà, attento! Sul tetto della baracca!"),
            ("Tex", "Visto, figliolo. Grazie."),
            ("Jeb Slade", "Il Cuervo vi farà impiccare tutti quanti!"),
            ("Kit Carson", "Prima dovrà trovare una corda abbastanza lunga, bello mio."),
        ),
    ),
    Scene(
        "mine",
        "Nelle gallerie della miniera...",
        (
            ("Kit Willer", "Le casse sono qui! Ma ne manca già più della metà."),
            ("Tiger Jack", "Ruote pesanti sono uscite dall'altra parte. Verso il villaggio di Vecchio Orso."),
            ("Tex", "Il Cuervo vuole armare i giovani navajo contro il forte. Non glielo permetteremo."),
            ("Jeb Slade", "Arrivate tardi, Willer! A quest'ora il capo è già laggiù."),
            ("Tex", "Allora faremo una bella cavalcata. Carson, lega per bene questo galantuomo."),
        ),
    ),
    Scene(
        "village",
        "Nel frattempo, al villaggio di Vecchio Orso...",
        (
            ("Cuervo", "Prendete questi fucili, fratelli! Con essi caccerete i soldati dalle vostre terre!"),
            ("Vecchio Orso", "Le tue parole sono dolci come il miele, straniero. Ma i tuoi occhi mentono."),
            ("Cuervo", "Vecchio sciocco! I tuoi guerrieri la pensano diversamente."),
            ("Tex", "Non tutti, Cuervo. O forse devo chiamarti... tenente Haskell?"),
            ("Cuervo", "Tex Willer! Come diavolo hai fatto...?"),
            (
                "Tex",
                "Il tuo mantello è nero, ma gli stivali sono dell'esercito. E Briggs ti ha riconosciuto.",
            ),
            (
                "Vecchio Orso",
                "Aquila della Notte dice sempre il vero. I navajo non combatteranno per un traditore.",
            ),
        ),
    ),
    Scene(
        "desert",
        "Il Cuervo tenta la fuga verso il canyon...",
        (
            ("Kit Carson", "Scappa verso il canyon! Lo prendo io!"),
            ("Tex", "No, Carson. Questo è affar mio."),
            ("Cuervo", "Fermo dove sei, Willer! Un passo ancora e sei morto!"),
            ("Tex", "Allora spara, Haskell. Se ne hai il coraggio."),
            ("Cuervo", "Aaargh! La mia mano!"),
            ("Tex", "Hai finito di giocare al bandito. Adesso risponderai alla corte marziale."),
        ),
    ),
    Scene(
        "fort",
        "Due giorni dopo, al forte Defiance...",
        (
            ("Capitano Morris", "Tutti i fucili sono tornati nell'armeria. Non so come ringraziarvi."),
            ("Tex", "Mandate alla riserva le coperte e la farina promesse, capitano. Sarà un buon inizio."),
            ("Kit Carson", "E a me una bistecca grande come una sella! Me la sono proprio meritata."),
            ("Kit Willer", "Zio Carson non cambierà mai, eh, papà?"),
            ("Tex", "Speriamo di no, figliolo. Speriamo proprio di no."),
        ),
    ),
)

HEROES = ("Tex", "Kit Carson", "Tiger Jack", "Kit Willer")


def speakers() -> list[str]:
    """Every speaker of the story bank, heroes first."""
    seen = list(HEROES)
    for scene in SCENES:
        for speaker, _ in scene.lines:
            if speaker not in seen:
                seen.append(speaker)
    return seen
